// Soak of `parapet serve` (a report, not a test): the built CLI started as webhooks/deployment.yaml
// starts it (its NODE_OPTIONS, environment and arguments; the fault-injection Rego policies added
// for the runaway reviews) takes SOAK_SECONDS (default 600) of mixed traffic over HTTPS on loopback:
// ordinary AdmissionReviews on /validate and /mutate at a fixed rate (open loop: a stalled server is
// charged in full), and hostile ones beside them (oversized pod specs, deep objects, unknown kinds,
// trickled bodies, runaway Rego). A third of the way in the serving certificate is replaced on disk
// (as cert-manager renews a Secret); half way runaway reviews of a shape never seen before take
// every working evaluation thread at once, so the pool terminates and replaces all of them (the
// periodic runaway reviews share one shape, which the pool confines after the first). Traffic
// starts once /readyz answers 200. Every SOAK_WINDOW seconds it prints the
// ordinary requests' p50/p99, errors, the server's RSS, and `JSON.parse` of the same review bodies
// timed in this process in the same window: the ratio is what compares across machines and runs.
//
// Ordinary requests count as errors when the answer is not an AdmissionReview for them (transport
// error, non-200) or is the failure decision (budget exceeded, no free thread): the target is 0.
//
//   npm run build && node test/bench/webhook-soak.mjs            (SOAK_SECONDS, SOAK_RATE, SOAK_WINDOW)
import { execFileSync, spawn } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { readFileSync, renameSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import path from 'node:path';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { benchSetup } from './webhook-servers.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const RATE = Number(process.env.SOAK_RATE ?? 10);
const WINDOW = Number(process.env.SOAK_WINDOW ?? 60);
const HOSTILE_EVERY_MS = 2000;

// --- the server, as the manifest starts it --------------------------------------------------------
const container = parse(readFileSync(path.join(root, 'webhooks/deployment.yaml'), 'utf8')).spec.template.spec
  .containers[0];
const env = Object.fromEntries(
  (container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]),
);
const nodeOptions = (env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);
delete env.NODE_OPTIONS;
const own = /^--(port|probe-port|host|probe-host|tls-cert|tls-key|client-ca|log-level)=/;
const args = container.args.filter((arg) => !own.test(arg)).slice(1);
const threadsArg = args.find((a) => a.startsWith('--evaluation-threads='));
const threads = threadsArg ? Number(threadsArg.split('=')[1]) : 2;
const budgetArg = args.find((a) => a.startsWith('--budget-ms='));
const budgetMs = budgetArg ? Number(budgetArg.split('=')[1]) : 1500;
const spareArg = args.find((a) => a.startsWith('--spare-threads='));
const spares = spareArg ? Number(spareArg.split('=')[1]) : 1;

const setup = benchSetup();
const openssl = (...a) => execFileSync('openssl', a, { cwd: setup.dir, stdio: ['ignore', 'ignore', 'pipe'] });

const server = spawn(
  process.execPath,
  [
    ...nodeOptions,
    path.join(root, 'dist/cli/main.js'),
    'serve',
    ...args,
    '--host=127.0.0.1',
    '--port=0',
    '--probe-port=0',
    `--tls-cert=${setup.cert}`,
    `--tls-key=${setup.key}`,
    '--log-level=info',
    `--policies=${path.join(root, 'fixtures/rego/faults')}`,
  ],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } },
);
const events = { tlsReloads: 0, tlsReloadFailures: 0, threadsStopped: 0 };
let admissionPort = 0;
let probePort = 0;
let partial = '';
// The decision log is read (a deployed webhook logs at info) but only its events are kept.
server.stdout.setEncoding('utf8').on('data', (chunk) => {
  const lines = (partial + chunk).split('\n');
  partial = lines.pop();
  for (const line of lines) {
    if (line.includes('"event":"admission"')) continue;
    if (!admissionPort) {
      const https = /listening at https:\/\/[^"]*:(\d+)/.exec(line);
      if (https) admissionPort = Number(https[1]);
    }
    if (line.includes('"event":"probes-listening"')) probePort = Number(/:(\d+)"/.exec(line)?.[1]);
    if (line.includes('"event":"tls-reload"')) events.tlsReloads += 1;
    if (line.includes('"event":"tls-reload-failed"')) events.tlsReloadFailures += 1;
    if (line.includes('"event":"thread-stopped"')) events.threadsStopped += 1;
  }
});
const probe = (route) =>
  new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port: probePort, path: route, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', (error) => resolve({ status: 0, body: error.message }));
    req.end();
  });
// Traffic starts when /readyz says so, as the kubelet would add the pod to the Service's endpoints.
const startedAt = Date.now();
for (;;) {
  if (server.exitCode !== null) throw new Error('parapet serve exited before it was ready');
  if (Date.now() - startedAt > 180_000) throw new Error('parapet serve was not ready within 180 s');
  if (admissionPort && probePort && (await probe('/readyz')).status === 200) break;
  await sleep(100);
}
const readyAfter = (Date.now() - startedAt) / 1000;

const rssMiB = () =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const metric = async (name) => {
  const { status, body: text } = await probe('/metrics');
  if (status !== 200) throw new Error(`/metrics answered ${status}: ${text}`);
  let sum = 0;
  for (const match of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm')))
    sum += Number(match[1]);
  return sum;
};

// --- traffic ---------------------------------------------------------------------------------------
const review = (file) => readFileSync(path.join(root, 'fixtures/admission/reviews', file), 'utf8');
const ordinary = [
  ['/validate', review('deployment-checkout-create.v1.json')],
  ['/validate', review('pod-privileged-create.v1.json')],
  ['/validate', review('pod-hardened-create.v1.json')],
  ['/mutate', review('deployment-root-sidecar-create.v1.json')],
  ['/validate', review('deployment-checkout-update.v1beta1.json')],
  ['/mutate', review('pod-privileged-create.v1.json')],
  ['/validate', review('pod-latest-tag-create.v1.json')],
  ['/validate', review('pod-unlabelled-create.v1.json')],
].map(([route, body]) => ({ route, body, uid: JSON.parse(body).request.uid }));

let hostileUid = 0;
const admissionReview = (kind, object, group = '', namespace = 'shop') =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `soak-hostile-${++hostileUid}`,
      kind: { group, version: 'v1', kind },
      resource: { group, version: 'v1', resource: `${kind.toLowerCase()}s` },
      namespace,
      operation: 'CREATE',
      userInfo: { username: 'mallory', groups: ['system:authenticated'] },
      object,
    },
  });
const deployment = (containers) =>
  admissionReview(
    'Deployment',
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { selector: {}, template: { metadata: {}, spec: { containers } } },
    },
    'apps',
  );
const deep = (() => {
  let value = { leaf: true };
  for (let i = 0; i < 500; i += 1) value = { nested: value };
  return value;
})();
const runaway = (namespace = 'shop') =>
  admissionReview(
    'ConfigMap',
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'slow', namespace, annotations: { 'faults.example.com/size': '20000' } },
      data: { mode: 'slow' },
    },
    '',
    namespace,
  );
const hostileKinds = [
  ['100,000 empty containers', () => ['/validate', deployment(Array.from({ length: 100_000 }, () => ({})))]],
  [
    '/mutate 10,000 containers',
    () => [
      '/mutate',
      deployment(Array.from({ length: 10_000 }, (_, i) => ({ name: `c${i}`, image: 'shop/web:1' }))),
    ],
  ],
  [
    'object 500 deep',
    () => [
      '/validate',
      admissionReview('ConfigMap', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'deep' },
        data: deep,
      }),
    ],
  ],
  [
    'unknown kind',
    () => [
      '/validate',
      admissionReview(
        `Kind${hostileUid}`,
        { apiVersion: 'example.com/v1', kind: `Kind${hostileUid}`, metadata: { name: 'k' } },
        'example.com',
      ),
    ],
  ],
  [
    '100 failing containers',
    () => [
      '/validate',
      deployment(
        Array.from({ length: 100 }, (_, i) => ({
          name: `c${i}`,
          image: 'docker.io/shop/web:latest',
          securityContext: { privileged: true },
        })),
      ),
    ],
  ],
];

const agent = new Agent({ keepAlive: true, maxSockets: 32, ca: setup.ca });
function post(route, body, options = {}) {
  return new Promise((resolve) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: admissionPort,
        method: 'POST',
        path: route,
        ca: setup.ca,
        agent: options.agent ?? agent,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, text }));
        res.on('error', (error) => resolve({ status: 0, text: error.message }));
      },
    );
    req.on('error', (error) => resolve({ status: 0, text: error.message }));
    req.end(body);
  });
}

const percentile = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] : NaN;
const median = (values) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

class Window {
  constructor(start) {
    this.start = start;
    this.latencies = [];
    this.sent = 0;
    this.errors = 0;
    this.failureDecisions = 0;
    this.parseMs = [];
    this.rss = [];
    this.hostile = 0;
    this.notes = [];
  }
}
const all = new Window(0);
let current = new Window(0);
const windows = [];
const errorSamples = [];
const hostileOutcomes = new Map();

function sendOrdinary(index, scheduled) {
  const { route, body, uid } = ordinary[index % ordinary.length];
  current.sent += 1;
  all.sent += 1;
  const window = current;
  post(route, body).then(({ status, text }) => {
    const ms = performance.now() - scheduled;
    window.latencies.push(ms);
    all.latencies.push(ms);
    let error;
    if (status !== 200) error = `HTTP ${status}: ${text.slice(0, 160)}`;
    else {
      const response = JSON.parse(text).response;
      if (response?.uid !== uid) error = `answer without the request's uid: ${text.slice(0, 160)}`;
      else if (/budget|evaluation thread|evaluation failed/.test(response.status?.message ?? '')) {
        window.failureDecisions += 1;
        all.failureDecisions += 1;
        error = `failure decision: ${response.status.message}`;
      }
    }
    if (error) {
      window.errors += 1;
      all.errors += 1;
      if (errorSamples.length < 10)
        errorSamples.push(`${Math.round((Date.now() - soakStart) / 1000)} s ${route}: ${error}`);
    }
  });
}

async function sendHostile(name, route, body) {
  current.hostile += 1;
  const answer = await post(route, body, { agent: false });
  let outcome = `HTTP ${answer.status}`;
  if (answer.status === 200) {
    const response = JSON.parse(answer.text).response;
    outcome = response.allowed
      ? 'allowed'
      : /budget|evaluation thread/.test(response.status?.message ?? '')
        ? 'failure decision'
        : 'denied';
  }
  const key = `${name}: ${outcome}`;
  hostileOutcomes.set(key, (hostileOutcomes.get(key) ?? 0) + 1);
}

const trickles = [];
/** A client that sends the headers and a third of a 3 MB body, then nothing: dropped at the request timeout. */
function trickle() {
  current.hostile += 1;
  const at = (performance.now() - t0) / 1000;
  const record = { at, status: '', closedAfter: undefined, error: '' };
  trickles.push(record);
  const socket = connect({ host: '127.0.0.1', port: admissionPort, ca: setup.ca });
  const started = performance.now();
  socket.on('error', (error) => (record.error ||= error.message));
  socket.on('data', (chunk) => (record.status ||= chunk.toString('latin1').split('\r\n')[0]));
  socket.once('secureConnect', () => {
    socket.write(
      'POST /validate HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 3000000\r\n\r\n',
    );
    socket.write(Buffer.alloc(1_000_000, 0x20));
  });
  socket.once('close', () => (record.closedAfter = (performance.now() - started) / 1000));
}

/** The serial number of the certificate a new connection is served. */
const servedSerial = () =>
  new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: admissionPort, ca: setup.ca }, () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.destroy();
    });
    socket.on('error', (error) => resolve(`error: ${error.message}`));
  });

/** A new key and certificate from the same CA, renamed over the served files as a Secret update is. */
function rotateCertificate() {
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'next.key');
  openssl('req', '-new', '-key', 'next.key', '-subj', '/CN=127.0.0.1', '-out', 'next.csr');
  openssl(
    ...['x509', '-req', '-in', 'next.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', '2'],
    ...['-days', '1', '-extfile', 'ext', '-out', 'next.crt'],
  );
  renameSync(path.join(setup.dir, 'next.key'), setup.key);
  renameSync(path.join(setup.dir, 'next.crt'), setup.cert);
}

// --- the run ---------------------------------------------------------------------------------------
const parseBodies = ordinary.map((o) => o.body);
const idleRss = rssMiB();
const serialBefore = await servedSerial();
const replacedBefore = await metric('parapet_evaluation_threads_replaced_total');
console.log(
  `parapet serve (pid ${server.pid}) ${nodeOptions.join(' ')} ${args.join(' ')}; ${threads} evaluation threads and ${spares} spare, budget ${budgetMs} ms`,
);
console.log(`ready (/readyz 200) ${readyAfter.toFixed(1)} s after start`);
console.log(
  `soak: ${SECONDS} s, ordinary ${RATE} req/s over ${ordinary.length} reviews, one hostile request every ${HOSTILE_EVERY_MS / 1000} s; RSS idle ${idleRss.toFixed(0)} MiB`,
);
console.log(
  '  t(s)   sent  errors    p50 ms    p99 ms   parse µs  p50/parse  p99/parse  RSS max MiB  hostile  events',
);
const soakStart = Date.now();
const t0 = performance.now();
let sentIndex = 0;
let hostileIndex = 0;
let rotated = false;
let killed = false;
let serialAfter = '';
let nextWindow = WINDOW * 1000;
let nextHostile = HOSTILE_EVERY_MS;
let nextSample = 0;

function closeWindow(end) {
  const sorted = [...current.latencies].sort((a, b) => a - b);
  const parseUs = median(current.parseMs) * 1000;
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  current.end = end;
  current.p50 = p50;
  current.p99 = p99;
  current.parseUs = parseUs;
  current.rssMax = Math.max(...current.rss);
  windows.push(current);
  console.log(
    `${String(Math.round(end / 1000)).padStart(6)} ${String(current.sent).padStart(6)} ${String(current.errors).padStart(7)} ${p50.toFixed(1).padStart(9)} ${p99.toFixed(1).padStart(9)} ${parseUs.toFixed(1).padStart(10)} ${(p50 / (parseUs / 1000)).toFixed(0).padStart(10)} ${(p99 / (parseUs / 1000)).toFixed(0).padStart(10)} ${current.rssMax.toFixed(0).padStart(12)} ${String(current.hostile).padStart(8)}  ${current.notes.join('; ')}`,
  );
  current = new Window(end);
}

while (performance.now() - t0 < SECONDS * 1000) {
  const elapsed = performance.now() - t0;
  // Ordinary requests on schedule, each timed from when it was due.
  while (sentIndex < Math.floor((elapsed / 1000) * RATE)) {
    sendOrdinary(sentIndex, t0 + (sentIndex * 1000) / RATE);
    sentIndex += 1;
  }
  if (elapsed >= nextHostile) {
    nextHostile += HOSTILE_EVERY_MS;
    const slot = hostileIndex++;
    // Every 15th a trickled body, every 30th a runaway Rego review; the rest in turn.
    if (slot % 30 === 29) void sendHostile('runaway Rego', '/validate', runaway());
    else if (slot % 15 === 14) trickle();
    else {
      const [name, make] = hostileKinds[slot % hostileKinds.length];
      const [route, body] = make();
      void sendHostile(name, route, body);
    }
  }
  if (elapsed >= nextSample) {
    nextSample += 1000;
    current.rss.push(rssMiB());
    // JSON.parse of the same bodies, here and now: the machine's speed in this window.
    const parseStart = performance.now();
    for (let i = 0; i < 4; i += 1) for (const body of parseBodies) JSON.parse(body);
    current.parseMs.push((performance.now() - parseStart) / (4 * parseBodies.length));
  }
  if (!rotated && elapsed >= (SECONDS * 1000) / 3) {
    rotated = true;
    rotateCertificate();
    current.notes.push('certificate rotated');
    void sleep(6000).then(async () => {
      serialAfter = await servedSerial();
      current.notes.push(`new connections get serial ${serialAfter}`);
    });
  }
  if (!killed && elapsed >= (SECONDS * 1000) / 2) {
    killed = true;
    // A namespace never seen before, so that nothing is confined yet: they take every working thread.
    current.notes.push(`${threads} runaway reviews of a new shape at once`);
    for (let i = 0; i < threads; i += 1)
      void sendHostile('runaway Rego (all threads at once)', '/validate', runaway('soak-fresh'));
  }
  if (elapsed >= nextWindow) {
    closeWindow(nextWindow);
    nextWindow += WINDOW * 1000;
  }
  await sleep(5);
}
// Answers still on their way count in the last window.
await sleep(budgetMs + 3000);
closeWindow(SECONDS * 1000);

const sorted = [...all.latencies].sort((a, b) => a - b);
const parseUs = median(windows.flatMap((w) => w.parseMs)) * 1000;
const rssSeries = windows.map((w) => w.rssMax);
const replaced = (await metric('parapet_evaluation_threads_replaced_total')) - replacedBefore;
console.log(
  `\nordinary requests: ${all.sent} sent, ${all.latencies.length} answered, ${all.errors} errors (${all.failureDecisions} failure decisions)`,
);
console.log(
  `latency: p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted.at(-1).toFixed(0)} ms; JSON.parse of the same bodies ${parseUs.toFixed(1)} µs (p50 ${(percentile(sorted, 50) / (parseUs / 1000)).toFixed(0)}x, p99 ${(percentile(sorted, 99) / (parseUs / 1000)).toFixed(0)}x)`,
);
console.log(
  `RSS: idle ${idleRss.toFixed(0)} MiB; window peaks ${rssSeries.map((v) => v.toFixed(0)).join(' ')} MiB; manifest limit ${container.resources.limits.memory}`,
);
console.log(
  `certificate: serial ${serialBefore} before, ${serialAfter} after the rotation; ${events.tlsReloads} reloads, ${events.tlsReloadFailures} failed`,
);
console.log(`evaluation threads replaced: ${replaced} (${events.threadsStopped} thread-stopped events)`);
console.log('hostile requests:');
for (const [key, count] of [...hostileOutcomes].sort()) console.log(`  ${key}: ${count}`);
console.log('trickled 3 MB bodies (1 MB sent, then nothing):');
for (const t of trickles)
  console.log(
    `  sent at ${t.at.toFixed(0)} s: ${t.status || 'no answer'}, ${t.closedAfter === undefined ? 'still open at the end' : `closed after ${t.closedAfter.toFixed(1)} s`}${t.error ? ` (${t.error})` : ''}`,
  );
if (errorSamples.length) console.log(`first errors:\n  ${errorSamples.join('\n  ')}`);

agent.destroy();
server.kill('SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));
setup.cleanup();
