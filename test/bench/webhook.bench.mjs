// Webhook: POST /validate over HTTPS keep-alive on loopback with a realistic Deployment review
// (fixtures/admission/reviews/deployment-checkout-create.v1.json), served by `parapet serve` from
// dist/ in its own process, loaded from this one. In the same run: max throughput (autocannon) of
// the full built-in library and of the same server with no policies (--no-builtin plus an empty
// policy directory), their ratio, and latency at a fixed 1,000 req/s with the full library from an
// open-loop client that sends on schedule and charges every delay (paced-load.mjs), for both
// servers: the no-policy server's tail is the floor this machine and HTTP stack set. The two
// servers run side by side and their runs alternate. All of that once per worker count
// (`serve --workers`): one process, and one per core of this machine. Before the loads, a
// sleeping process measures the machine's own scheduling stalls (jitter.mjs).
// Knobs: BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 8), BENCH_RATE (default 1000),
// BENCH_PACED_RUNS (default 4, per server), BENCH_WORKERS (default "1,N", N the cores).
import os from 'node:os';
import autocannon from 'autocannon';
import { sleeperJitter } from './jitter.mjs';
import { pacedLoad } from './paced-load.mjs';
import { benchSetup, reviewBody, startServer, stopServer } from './webhook-servers.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const PACED_RUNS = Number(process.env.BENCH_PACED_RUNS ?? 4);
const WORKERS = [
  ...new Set((process.env.BENCH_WORKERS ?? `1,${os.availableParallelism()}`).split(',').map(Number)),
];

const setup = benchSetup();
const { ca } = setup;
const body = reviewBody;

function load(port, options = {}) {
  return autocannon({
    url: `https://127.0.0.1:${port}/validate`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration: SECONDS,
    tlsOptions: { ca },
    ...options,
  });
}

async function maxThroughput(label, server) {
  const result = await load(server.port);
  if (result.non2xx || result.errors)
    throw new Error(`${label}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

async function paced(label, server) {
  // Fixed rate: an open-loop client (see paced-load.mjs for why not autocannon's overallRate).
  const cpuBefore = process.cpuUsage();
  const fixed = await pacedLoad({
    url: `https://127.0.0.1:${server.port}/validate`,
    body,
    rate: RATE,
    seconds: SECONDS,
    ca,
  });
  const cpu = process.cpuUsage(cpuBefore);
  if (fixed.non2xx || fixed.errors)
    throw new Error(`${label}/fixed: ${fixed.non2xx} non-2xx, ${fixed.errors} errors`);
  return { ...fixed, clientCpu: (cpu.user + cpu.system) / 1e6 / (SECONDS + 2) };
}

// Both servers run side by side (the one not under load idles), and their runs alternate, the
// order swapping each time: this machine's speed drifts within minutes, and a figure taken in a
// slow spell must not be compared with one taken in a quiet one.
const jitter = await sleeperJitter(5);

async function measure(workers) {
  const servers = {
    full: await startServer(setup, workers),
    none: await startServer(setup, workers, setup.noPolicyArgs),
  };
  const full = { fixed: [] };
  const none = { fixed: [] };
  try {
    // Warm-up: JIT, ajv validators, TLS sessions.
    for (const server of Object.values(servers)) await load(server.port, { duration: 2 });
    full.max = await maxThroughput('full', servers.full);
    none.max = await maxThroughput('none', servers.none);
    for (let run = 0; run < PACED_RUNS; run += 1) {
      const order = run % 2 === 0 ? ['full', 'none'] : ['none', 'full'];
      for (const name of order) (name === 'full' ? full : none).fixed.push(await paced(name, servers[name]));
    }
  } finally {
    await Promise.all(Object.values(servers).map(stopServer));
  }
  return { full, none };
}

const results = [];
for (const workers of WORKERS) results.push({ workers, ...(await measure(workers)) });
setup.cleanup();

const row = (name, r) =>
  `${name.padEnd(34)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${String(r.p50).padStart(3)} ms   p99 ${String(r.p99).padStart(3)} ms`;
const medianRun = (fixed) => [...fixed].sort((a, b) => a.p99 - b.p99)[Math.floor(fixed.length / 2)];
const within = (fixed) => fixed.filter((f) => f.p99 <= 5).length;
console.log(
  `POST /validate, Deployment review (${body.length} bytes), HTTPS keep-alive on loopback, ${SECONDS}s per run`,
);
for (const { workers, full, none } of results) {
  console.log(`\n--workers ${workers} (${workers === 1 ? 'one process' : `${workers} worker processes`}):`);
  console.log(`max throughput (autocannon, ${CONNECTIONS} connections):`);
  console.log(row('  full built-in library', full.max));
  console.log(row('  no policies', none.max));
  console.log(`  throughput ratio full/none: ${((full.max.rps / none.max.rps) * 100).toFixed(1)}%`);
  for (const [name, result] of [
    ['full library', full],
    ['no policies', none],
  ]) {
    console.log(
      `fixed ${RATE} req/s, open loop, ${name} (${result.fixed.length} runs of ${SECONDS}s after a 2s ramp on the same connections, alternating with the other server's):`,
    );
    for (const f of result.fixed) {
      console.log(
        `  ${f.achievedRate} req/s sent: p50 ${f.p50} ms, p90 ${f.p90} ms, p99 ${f.p99} ms, max ${f.max} ms ` +
          `(client ${(f.clientCpu * 100).toFixed(0)}% of a core, its timer at most ${f.clientLateMs} ms late)`,
      );
    }
  }
}
console.log(
  `\nmachine, idle, before the loads: a process sleeping 1 ms at a time woke more than 5 ms late ${jitter.over5} times ` +
    `and more than 10 ms late ${jitter.over10} times in 5 s (latest ${jitter.maxMs} ms; ${jitter.over2} over 2 ms)`,
);
for (const { workers, full, none } of results) {
  console.log(
    `--workers ${workers}: throughput full/none ${((full.max.rps / none.max.rps) * 100).toFixed(1)}%; ` +
      `p99 at ${RATE} req/s, median run: full library ${medianRun(full.fixed).p99} ms (target <= 5 ms), ` +
      `no policies ${medianRun(none.fixed).p99} ms; runs within 5 ms: full ${within(full.fixed)} of ` +
      `${full.fixed.length}, no policies ${within(none.fixed)} of ${none.fixed.length}`,
  );
}
