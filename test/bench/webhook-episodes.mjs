// Where the webhook's latency tail comes from: one paced run of /validate at a fixed rate, with a
// process beside the load that only sleeps 1 ms at a time (jitter.mjs). Requests slower than
// BENCH_SLOW_MS (default 5) are grouped into episodes (slow requests sent less than 30 ms apart),
// and each episode is shown with the sleeper's late wake-ups around it. Slow episodes that line
// up with the sleeper waking late, while most of the CPU is idle, are the machine's stalls rather
// than the server's work. Not part of `npm run bench`:
//   npm run build && node test/bench/webhook-episodes.mjs
// Knobs: BENCH_SECONDS (default 10), BENCH_RATE (default 1000), BENCH_WORKERS (default 1),
// BENCH_POLICIES=none for the no-policy server, BENCH_SLOW_MS (default 5).
import { readFileSync } from 'node:fs';
import { sleeperWakeups } from './jitter.mjs';
import { pacedLoad } from './paced-load.mjs';
import { benchSetup, reviewBody, startServer, stopServer } from './webhook-servers.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const SLOW_MS = Number(process.env.BENCH_SLOW_MS ?? 5);
const SLEEPER_LATE_MS = 3;
const EPISODE_GAP_MS = 30;

const setup = benchSetup();
const noPolicies = process.env.BENCH_POLICIES === 'none';
const server = await startServer(setup, WORKERS, noPolicies ? setup.noPolicyArgs : []);
let run;
let wakeups;
const cpuBefore = cpuTimes();
try {
  // The sleeper covers the paced load's 2 s ramp, its run, and a little after.
  [run, wakeups] = await Promise.all([
    pacedLoad({
      url: `https://127.0.0.1:${server.port}/validate`,
      body: reviewBody,
      rate: RATE,
      seconds: SECONDS,
      ca: setup.ca,
    }),
    sleeperWakeups(SECONDS + 3),
  ]);
} finally {
  await stopServer(server);
  setup.cleanup();
}
const cpu = cpuTimes(cpuBefore);

const { sentAt, latencies } = run.requests;
const late = wakeups.filter((wakeup) => wakeup.lateMs > SLEEPER_LATE_MS);
const episodes = [];
for (let i = 0; i < latencies.length; i += 1) {
  if (latencies[i] <= SLOW_MS) continue;
  const episode = episodes.at(-1);
  if (episode && sentAt[i] - episode.last < EPISODE_GAP_MS) {
    episode.last = sentAt[i];
    episode.slow += 1;
    episode.maxMs = Math.max(episode.maxMs, latencies[i]);
  } else episodes.push({ first: sentAt[i], last: sentAt[i], slow: 1, maxMs: latencies[i] });
}
const start = sentAt[0];
const seconds = (at) => ((at - start) / 1000).toFixed(3);
let explained = 0;
const lines = episodes.map((episode) => {
  // A stall shows as a late wake-up that ends during the episode or up to 50 ms before it.
  const near = late.filter((w) => w.at >= episode.first - 50 && w.at - w.lateMs <= episode.last + 5);
  if (near.length) explained += episode.slow;
  return (
    `  ${seconds(episode.first)} s, ${(episode.last - episode.first).toFixed(0)} ms: ${episode.slow} slow, ` +
    `up to ${episode.maxMs.toFixed(1)} ms; sleeper late ${near.map((w) => `${w.lateMs.toFixed(1)} ms`).join(', ') || 'never'}`
  );
});
const slow = episodes.reduce((sum, episode) => sum + episode.slow, 0);
console.log(
  `/validate at ${RATE} req/s for ${SECONDS} s, ${noPolicies ? 'no policies' : 'full library'}, --workers ${WORKERS}: ` +
    `p50 ${run.p50} ms, p99 ${run.p99} ms; ${slow} requests over ${SLOW_MS} ms in ${episodes.length} episodes`,
);
console.log(
  `sleeper beside the load: woke more than ${SLEEPER_LATE_MS} ms late ${late.length} times in ${SECONDS + 3} s; ` +
    `machine CPU idle ${(cpu.idleShare * 100).toFixed(0)}% meanwhile; ` +
    `${slow ? ((explained / slow) * 100).toFixed(0) : 0}% of slow requests fall in episodes with a late wake-up`,
);
for (const line of lines) console.log(line);

/** The machine's CPU time counters (/proc/stat); given earlier ones, the idle share since. */
function cpuTimes(before) {
  let fields = [];
  try {
    fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  } catch {
    // Not Linux: no idle share.
  }
  const total = fields.reduce((sum, n) => sum + n, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  if (!before) return { total, idle };
  const spent = total - before.total;
  return { idleShare: spent > 0 ? (idle - before.idle) / spent : 0 };
}
