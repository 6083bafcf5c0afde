// The machine's own scheduling noise: a process that does nothing but sleep 1 ms at a time, and
// how late it wakes up. On a quiet machine it wakes within a fraction of a millisecond; every wake-up
// several milliseconds late is a stall that no server on this machine can hide from its latency
// tail. The webhook bench runs it with nothing else running, before its loads;
// webhook-episodes.mjs runs it beside a load, to line its stalls up with slow requests.
import { spawn } from 'node:child_process';

const probe = `
const start = performance.timeOrigin + performance.now();
const gaps = [];
let last = performance.now();
const end = last + Number(process.argv[1]) * 1000;
const tick = () => {
  const now = performance.now();
  gaps.push(now - last - 1);
  last = now;
  if (now < end) setTimeout(tick, 1);
  else process.stdout.write(JSON.stringify({ start, gaps }));
};
setTimeout(tick, 1);
`;

/**
 * Sleeps 1 ms at a time for `seconds` in a child process.
 * @returns {Promise<Array<{ at: number, lateMs: number }>>} every wake-up: when (epoch ms) and how
 *   many ms later than asked
 */
export function sleeperWakeups(seconds = 5) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', probe, String(seconds)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`jitter probe exited with ${code}`));
      const { start, gaps } = JSON.parse(out);
      let at = start;
      resolve(
        gaps.map((lateMs) => {
          at += lateMs + 1;
          return { at, lateMs };
        }),
      );
    });
  });
}

/**
 * @returns {Promise<{ wakeups: number, over2: number, over5: number, over10: number, maxMs: number }>}
 *   how many wake-ups came more than 2, 5 and 10 ms late, and the latest one
 */
export async function sleeperJitter(seconds = 5) {
  const gaps = (await sleeperWakeups(seconds)).map((wakeup) => wakeup.lateMs);
  const over = (ms) => gaps.filter((gap) => gap > ms).length;
  return {
    wakeups: gaps.length,
    over2: over(2),
    over5: over(5),
    over10: over(10),
    maxMs: Math.round(Math.max(...gaps) * 10) / 10,
  };
}
