/**
 * The attacks of someone with create rights on one Deployment, against a real `parapet serve` (the
 * built CLI) on loopback, started as webhooks/deployment.yaml starts it: the container's
 * NODE_OPTIONS (heap) and arguments (budget, failure decision, fixes, evaluation threads, limits),
 * with the API server's client certificate required. Throughout, /healthz is polled on the probe port as
 * kubelet polls it (2 s timeout) and the process's RSS is sampled; both are checked at the end
 * against the pod's probe and memory limit. `npm test` runs this file on its own (`npm run
 * test:attacks`), not beside the other suites: a pod has its CPU to itself, and how much a server
 * holds at once depends on how fast it drains.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { connect, type TLSSocket } from 'node:tls';
import { parse } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { repoPath } from '../helpers.js';
import { createTestPki, haveOpenssl, type CertPair, type TestPki } from './certs.js';

const cli = repoPath('dist/cli/main.js');
const built = existsSync(cli);
const linux = existsSync('/proc/self/status');
if (!haveOpenssl)
  console.warn('test/server/attacks.test.ts: skipped: the openssl CLI (Debian package openssl) is missing');
if (!built) console.warn('test/server/attacks.test.ts: skipped: dist/ is not built (npm run build)');

interface ManifestContainer {
  args: string[];
  env?: Array<{ name: string; value?: string }>;
  resources: { limits: { memory: string } };
}
/** The webhook container of webhooks/deployment.yaml: how the server is started, and its memory limit. */
const manifest = (() => {
  const deployment = parse(readFileSync(repoPath('webhooks/deployment.yaml'), 'utf8')) as {
    spec: { template: { spec: { containers: ManifestContainer[] } } };
  };
  const container = deployment.spec.template.spec.containers[0]!;
  const limit = /^(\d+)Mi$/.exec(container.resources.limits.memory);
  if (!limit) throw new Error('webhooks/deployment.yaml: the memory limit is not in Mi');
  // Variables with a literal value (NODE_OPTIONS, the allocator's); the Downward API ones are the pod's.
  const env = Object.fromEntries(
    (container.env ?? []).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])),
  ) as Record<string, string>;
  const { NODE_OPTIONS: nodeOptions = '', ...otherEnv } = env;
  // The addresses and files are the test's own; every other argument is the manifest's.
  const own = /^--(port|probe-port|host|probe-host|tls-cert|tls-key|client-ca|log-level)=/;
  const args = container.args.filter((arg) => !own.test(arg));
  if (args[0] !== 'serve') throw new Error('webhooks/deployment.yaml: the container does not run serve');
  const budget = /^--budget-ms=(\d+)$/.exec(args.find((a) => a.startsWith('--budget-ms=')) ?? '');
  return {
    nodeOptions: nodeOptions.split(/\s+/).filter(Boolean),
    env: otherEnv,
    args: args.slice(1),
    budgetMs: budget ? Number(budget[1]) : 1500,
    memoryLimit: Number(limit[1]) * 1024 * 1024,
  };
})();
const BUDGET_MS = manifest.budgetMs;
/** What a loaded CI machine may add to the budget before an answer counts as late. */
const MARGIN_MS = 2000;
/** The memory limit of the container in webhooks/deployment.yaml, in bytes. */
const POD_MEMORY_LIMIT = manifest.memoryLimit;
const PROBE_TIMEOUT_MS = 2000;

let pki: TestPki;
let serving: CertPair;
let client: CertPair;
let ca: Buffer;
let server: ChildProcess;
let admissionPort = 0;
let probePort = 0;
let agent: Agent;
const log: Array<Record<string, unknown>> = [];
const rssSamples: number[] = [];
/** The highest RSS sampled during each attack. */
const peakByPhase = new Map<string, number>();
const probes = { answered: 0, failed: [] as string[], slowestMs: 0, run: 0, longestRun: 0 };
let sampler: NodeJS.Timeout | undefined;
let poller: ChildProcess | undefined;
/** GET /healthz every 200 ms with kubelet's timeout; one JSON line per probe. */
const probeScript = `
const http = require('node:http');
const [port, timeout] = process.argv.slice(1).map(Number);
const once = () => {
  const started = performance.now();
  let done = false;
  const report = (ok, error) => {
    if (done) return;
    done = true;
    process.stdout.write(JSON.stringify({ ok, ms: performance.now() - started, error }) + '\\n');
    setTimeout(once, 200);
  };
  const timer = setTimeout(() => { req.destroy(); report(false, 'GET /healthz took more than ' + timeout + ' ms'); }, timeout);
  const req = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
    res.resume();
    res.on('end', () => { clearTimeout(timer); report(res.statusCode === 200, 'HTTP ' + res.statusCode); });
  });
  req.on('error', (error) => { clearTimeout(timer); report(false, error.message); });
};
once();
`;
/** The attack under way, to name in probe failures. */
let phase = 'start';

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kib ? Number(kib) * 1024 : 0;
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function probe(
  path: string,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<{ status: number; text: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: probePort, path, agent: false, timeout: timeoutMs },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, ms: performance.now() - started }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path} took more than ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

interface Answer {
  status: number;
  text: string;
  ms: number;
  json: { response?: { uid: string; allowed: boolean; status?: { message: string }; patch?: string } };
}

function admission(route: string, body: string | Buffer, options: { agent?: Agent } = {}): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: admissionPort,
        method: 'POST',
        path: route,
        ca,
        cert: readFileSync(client.cert),
        key: readFileSync(client.key),
        agent: options.agent ?? false,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let json = {};
          try {
            json = JSON.parse(text) as object;
          } catch {
            // Non-JSON answers are checked by status.
          }
          resolve({ status: res.statusCode ?? 0, text, ms: performance.now() - started, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let nextUid = 0;
function review(kind: string, object: Record<string, unknown>, group = ''): string {
  nextUid += 1;
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `attack-${nextUid}`,
      kind: { group, version: 'v1', kind },
      resource: { group, version: 'v1', resource: `${kind.toLowerCase()}s` },
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: { username: 'mallory', groups: ['system:authenticated'] },
      object,
    },
  });
}

function deployment(containers: unknown[]): string {
  return review(
    'Deployment',
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers } },
      },
    },
    'apps',
  );
}

const ordinary = () =>
  deployment([
    {
      name: 'app',
      image: 'registry.example.com/shop/web@sha256:' + 'a'.repeat(64),
      securityContext: { allowPrivilegeEscalation: false },
    },
  ]);

/** A ConfigMap that the slow fault-injection Rego policy spends minutes on. */
const runaway = () =>
  review('ConfigMap', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'slow', namespace: 'shop', annotations: { 'faults.example.com/size': '20000' } },
    data: { mode: 'slow' },
  });

const metricsSize = async () => (await probe('/metrics', 10_000)).text.length;

beforeAll(async () => {
  if (!haveOpenssl || !built) return;
  pki = createTestPki();
  serving = pki.issue('serve', { sans: ['IP:127.0.0.1'] });
  client = pki.issue('kube-apiserver', { client: true });
  ca = readFileSync(pki.ca.cert);
  agent = new Agent({
    keepAlive: true,
    maxSockets: 8,
    ca,
    cert: readFileSync(client.cert),
    key: readFileSync(client.key),
  });
  server = spawn(
    process.execPath,
    [
      ...manifest.nodeOptions,
      cli,
      'serve',
      ...manifest.args,
      '--host=127.0.0.1',
      '--port=0',
      '--probe-port=0',
      `--tls-cert=${serving.cert}`,
      `--tls-key=${serving.key}`,
      `--client-ca=${pki.ca.cert}`,
      '--log-level=info',
      '--policies=fixtures/rego/faults',
    ],
    { cwd: repoPath(), stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...manifest.env } },
  );
  // The start-up lines name the ports; the decision log after them is not kept.
  let partial = '';
  server.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    if (log.some((l) => l.event === 'ready')) return;
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const line of parts) if (line) log.push(JSON.parse(line) as Record<string, unknown>);
  });
  await until('both ports', () => {
    const listening = log.find((l) => typeof l.url === 'string' && l.event === 'probes-listening');
    const admissionLine = log.find((l) => typeof l.msg === 'string' && /listening at https:/.test(l.msg));
    if (!listening || !admissionLine) return undefined;
    probePort = Number(new URL(listening.url as string).port);
    admissionPort = Number(/:(\d+)$/.exec(admissionLine.msg as string)![1]);
    return true;
  });
  await until('readiness', () => (log.some((l) => l.event === 'ready') ? true : undefined), 120_000);
  sampler = setInterval(() => {
    if (!linux || !server.pid) return;
    const rss = rssOf(server.pid);
    rssSamples.push(rss);
    peakByPhase.set(phase, Math.max(rss, peakByPhase.get(phase) ?? 0));
  }, 250);
  // kubelet's probes come from another process: so do these, so that the attacks' own work in this
  // process does not delay them.
  poller = spawn(process.execPath, ['-e', probeScript, String(probePort), String(PROBE_TIMEOUT_MS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let pending = '';
  poller.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (pending + chunk).split('\n');
    pending = parts.pop()!;
    for (const line of parts) {
      const result = JSON.parse(line) as { ok: boolean; ms: number; error?: string };
      if (result.ok) {
        probes.answered += 1;
        probes.run = 0;
      } else {
        probes.failed.push(`${phase}: ${result.error}`);
        probes.run += 1;
        probes.longestRun = Math.max(probes.longestRun, probes.run);
      }
      probes.slowestMs = Math.max(probes.slowestMs, result.ms);
    }
  });
}, 180_000);

afterAll(async () => {
  poller?.kill();
  if (sampler) clearInterval(sampler);
  agent?.destroy();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
});

const figures: Record<string, string> = {};

describe.skipIf(!haveOpenssl || !built)('parapet serve under attack (deployment heap and limits)', () => {
  beforeEach((context) => {
    phase = context.task.name;
  });

  it('denies 100,000 empty containers (300 KB) and 1,000,000 (3 MB) within the budget', async () => {
    for (const count of [100_000, 1_000_000]) {
      const answer = await admission('/validate', deployment(Array.from({ length: count }, () => ({}))));
      expect(answer.status).toBe(200);
      expect(answer.json.response?.allowed).toBe(false);
      expect(answer.json.response?.status?.message).toMatch(
        /above the limit of 100 \(server\.maxContainers\)|more than 2000 items \(server\.maxListItems\)|more than 200000 JSON values/,
      );
      expect(answer.ms).toBeLessThan(BUDGET_MS + MARGIN_MS);
      figures[`${count} containers`] = `${Math.round(answer.ms)} ms`;
    }
  });

  it('answers /mutate for 2,000 and 10,000 containers at once, and patches 100 containers within the budget', async () => {
    for (const count of [2_000, 10_000]) {
      const containers = Array.from({ length: count }, (_, i) => ({ name: `c${i}`, image: `shop/web:${i}` }));
      const answer = await admission('/mutate', deployment(containers));
      expect(answer.status).toBe(200);
      expect(answer.json.response?.allowed).toBe(false);
      expect(answer.json.response?.status?.message).toMatch(/\(server\.(maxContainers|maxListItems)\)/);
      expect(answer.ms).toBeLessThan(BUDGET_MS + MARGIN_MS);
      figures[`/mutate ${count} containers`] = `${Math.round(answer.ms)} ms`;
    }
    const hundred = Array.from({ length: 100 }, (_, i) => ({
      name: `c${i}`,
      image: `shop/web:${i}`,
      securityContext: { capabilities: { add: ['NET_ADMIN'] } },
    }));
    const patched = await admission('/mutate', deployment(hundred));
    expect(patched.json.response?.allowed).toBe(true);
    const patch = JSON.parse(Buffer.from(patched.json.response!.patch!, 'base64').toString()) as Array<{
      path: string;
    }>;
    expect(patch.filter((op) => op.path.endsWith('/capabilities/add'))).toHaveLength(100);
    expect(patched.ms).toBeLessThan(BUDGET_MS + MARGIN_MS);
    figures['/mutate 100 containers (patched)'] = `${Math.round(patched.ms)} ms`;
  });

  it('stops five concurrent runaway Rego reviews at the budget and answers an ordinary review meanwhile', async () => {
    const started = performance.now();
    const answers = await Promise.all([
      ...Array.from({ length: 5 }, () => admission('/validate', runaway())),
      admission('/validate', ordinary()),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.ms).toBeLessThan(BUDGET_MS + MARGIN_MS);
    }
    for (const answer of answers.slice(0, 5)) {
      expect(answer.json.response?.allowed).toBe(false);
      expect(answer.json.response?.status?.message).toMatch(
        new RegExp(
          `evaluation exceeded its ${BUDGET_MS} ms budget|no evaluation thread was free within the ${BUDGET_MS} ms budget`,
        ),
      );
    }
    // The ordinary review is answered in time too: decided, or (all threads held) the failure decision.
    expect(answers[5]!.json.response?.uid).toMatch(/^attack-/);
    figures['5 runaway Rego + 1 ordinary, slowest'] =
      `${Math.round(Math.max(...answers.map((a) => a.ms)))} ms (all within ${Math.round(performance.now() - started)} ms)`;
    // Replacement threads take over: an ordinary review is decided again shortly.
    const deadline = Date.now() + 60_000;
    let decided: Answer | undefined;
    while (Date.now() < deadline) {
      const answer = await admission('/validate', ordinary());
      if (!/budget/.test(answer.json.response?.status?.message ?? '')) {
        decided = answer;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(decided?.json.response?.status?.message ?? 'allowed').not.toMatch(/budget/);
    expect((await probe('/metrics', 10_000)).text).toMatch(
      /parapet_evaluation_threads_replaced_total\{reason="budget-exceeded"\} [1-9]/,
    );
  });

  it('keeps /metrics flat under 20,000 distinct kinds', async () => {
    const send = async (from: number, to: number) => {
      let next = from;
      const lane = async () => {
        while (next < to) {
          const i = next++;
          const answer = await admission(
            '/validate',
            review(
              `Kind${i}`,
              { apiVersion: 'example.com/v1', kind: `Kind${i}`, metadata: { name: `k${i}` } },
              'example.com',
            ),
            { agent },
          );
          expect(answer.status).toBe(200);
        }
      };
      await Promise.all(Array.from({ length: 8 }, lane));
    };
    await send(0, 200);
    const after200 = await metricsSize();
    await send(200, 20_000);
    const after20000 = await metricsSize();
    expect(after20000).toBeLessThan(after200 * 1.05);
    expect((await probe('/metrics', 10_000)).text).toContain('kind="other"');
    figures['/metrics after 200 / 20,000 kinds'] = `${after200} / ${after20000} bytes`;
  }, 240_000);

  it('names at most ten findings in a denial of 100 failing containers, in a few KB', async () => {
    const containers = Array.from({ length: 100 }, (_, i) => ({
      name: `container-with-a-long-name-${i}`,
      image: `docker.io/shop/web:latest`,
      securityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN'] } },
    }));
    const answer = await admission('/validate', deployment(containers));
    expect(answer.json.response?.allowed).toBe(false);
    expect(answer.json.response?.status?.message).toMatch(/… and \d+ more findings \(\d+ in all\)$/);
    expect(answer.text.length).toBeLessThan(8 * 1024);
    figures['denial of 100 failing containers'] = `${answer.text.length} bytes`;
  });

  it('holds 250 connections with unfinished 3 MB bodies within its memory, and drops them at the request timeout', async () => {
    const body = Buffer.alloc(3_000_000 - 1, 0x20);
    const started = performance.now();
    const statuses: string[] = [];
    const sockets = await Promise.all(
      Array.from(
        { length: 250 },
        () =>
          new Promise<TLSSocket>((resolve) => {
            const socket = connect({
              host: '127.0.0.1',
              port: admissionPort,
              ca,
              cert: readFileSync(client.cert),
              key: readFileSync(client.key),
            });
            socket.on('error', () => undefined);
            socket.once('data', (chunk: Buffer) =>
              statuses.push(chunk.toString('latin1').split(' ')[1] ?? '?'),
            );
            socket.once('secureConnect', () => {
              socket.write(
                'POST /validate HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 3000000\r\n\r\n',
              );
              resolve(socket);
              // The body, all but its last byte, for as long as the server reads it.
              let sent = 0;
              const more = () => {
                while (sent < body.length && !socket.destroyed) {
                  const chunk = body.subarray(sent, Math.min(body.length, sent + 256 * 1024));
                  sent += chunk.length;
                  if (!socket.write(chunk)) {
                    socket.once('drain', more);
                    return;
                  }
                }
              };
              setTimeout(more, 50);
            });
            socket.once('close', () => resolve(socket));
          }),
      ),
    );
    const closed = await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<number>((resolve) => {
            if (socket.destroyed || socket.closed) resolve(performance.now() - started);
            else socket.once('close', () => resolve(performance.now() - started));
          }),
      ),
    );
    // The server drops every connection: at once when the bytes in flight are at their cap, at the
    // request timeout (10 s) for the ones it holds.
    expect(Math.max(...closed)).toBeLessThan(10_000 + 5_000);
    // Connections beyond the bytes-in-flight cap are answered 503 and closed (a client still
    // writing may see the reset before the answer); the ones held are dropped at the timeout.
    expect(statuses.length).toBeGreaterThan(0);
    for (const status of statuses) expect(['503', '408']).toContain(status);
    expect((await probe('/metrics', 10_000)).text).toMatch(
      /parapet_requests_rejected_total\{reason="inflight-bytes"\} [1-9]/,
    );
    expect((await probe('/healthz')).status).toBe(200);
    figures['250 unfinished 3 MB bodies, last dropped after'] = `${Math.round(Math.max(...closed))} ms`;
  }, 60_000);

  it('serves the probes without a client certificate, and refuses admission connections without one', async () => {
    expect((await probe('/readyz')).status).toBe(200);
    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: admissionPort, ca });
      socket.on('error', (error) => resolve(error.message));
      socket.on('secureConnect', () => {
        socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n');
      });
      socket.on('data', () => resolve('answered'));
      socket.on('close', () => resolve('closed'));
    });
    expect(refused).not.toBe('answered');
  });

  it('speaks TLS 1.3 and TLS 1.2 with AEAD suites only', async () => {
    const handshake = (options: {
      minVersion?: 'TLSv1.2' | 'TLSv1.3';
      maxVersion?: 'TLSv1.2' | 'TLSv1.3';
      ciphers?: string;
    }) =>
      new Promise<string>((resolve) => {
        const socket = connect({
          host: '127.0.0.1',
          port: admissionPort,
          ca,
          cert: readFileSync(client.cert),
          key: readFileSync(client.key),
          ...options,
        });
        socket.once('secureConnect', () => {
          resolve(`${socket.getProtocol()} ${socket.getCipher().name}`);
          socket.destroy();
        });
        socket.once('error', () => resolve('refused'));
      });
    expect(await handshake({ minVersion: 'TLSv1.3' })).toMatch(/^TLSv1\.3 TLS_/);
    expect(await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })).toBe(
      'TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256',
    );
    for (const cbc of ['ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384', 'ECDHE-ECDSA-AES128-SHA256'])
      expect(await handshake({ maxVersion: 'TLSv1.2', ciphers: cbc })).toBe('refused');
  });

  it('answered /healthz throughout, stayed under the pod memory limit, and kept /metrics small', async () => {
    // kubelet restarts the pod after 3 failed liveness probes in a row (webhooks/deployment.yaml):
    // on a machine this test shares, one probe may be late, never three in a row.
    expect(probes.longestRun, probes.failed.join('; ')).toBeLessThan(3);
    expect(probes.answered).toBeGreaterThan(10);
    const size = await metricsSize();
    expect(size).toBeLessThan(256 * 1024);
    if (linux) {
      const peak = Math.max(...rssSamples);
      expect(peak).toBeLessThan(POD_MEMORY_LIMIT);
      const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);
      figures['peak RSS'] = `${mib(peak)} MiB of ${mib(POD_MEMORY_LIMIT)} MiB`;
      for (const [name, phasePeak] of peakByPhase)
        figures[`  RSS during "${name.slice(0, 60)}"`] = `${mib(phasePeak)} MiB`;
    }
    figures['/healthz'] =
      `${probes.answered} answered, ${probes.failed.length} late (longest run ${probes.longestRun}), slowest ${Math.round(probes.slowestMs)} ms`;
    figures['/metrics'] = `${size} bytes`;
    console.log(
      `attack figures:\n${Object.entries(figures)
        .map(([k, v]) => `  ${k}: ${v}`)
        .join('\n')}`,
    );
  });
});
