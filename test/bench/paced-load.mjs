// Open-loop load at a fixed rate: requests leave on a fixed schedule (every 1/rate s) whether or not
// earlier ones have returned, and each latency is measured from the moment the request was due, so
// a stalled server or client is charged in full (no coordinated omission, as in wrk2).
//
// autocannon's `overallRate` is not that: each connection sends back to back until it has made its
// share for the current second and then waits for the next second, so "1,000 req/s" is a burst at
// full speed followed by silence, and its latency correction then records synthetic values for
// every millisecond of each slow response. It stays the tool for the max-throughput runs.
import { Buffer } from 'node:buffer';
import { Agent, request } from 'node:https';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';

/**
 * @param {{ url: string, body: string, headers?: Record<string,string>, rate: number, seconds: number,
 *   connections?: number, ca?: Buffer }} options
 * @returns {Promise<{ sent: number, ok: number, errors: number, non2xx: number, p50: number, p90: number,
 *   p99: number, max: number, achievedRate: number }>} latencies in ms
 */
export async function pacedLoad({ url, body, headers = {}, rate, seconds, connections = 16, ca }) {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: connections, ca });
  const payload = Buffer.from(body);
  const total = Math.round(rate * seconds);
  const latencies = new Float64Array(total);
  let sent = 0;
  let done = 0;
  let errors = 0;
  let non2xx = 0;
  const interval = 1000 / rate;
  const start = performance.now();

  await new Promise((resolve) => {
    const finish = () => {
      done += 1;
      if (done === total) resolve();
    };
    const fire = (due, index) => {
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': payload.length, ...headers },
        },
        (res) => {
          res.on('data', () => {});
          res.on('end', () => {
            latencies[index] = performance.now() - due;
            if (res.statusCode < 200 || res.statusCode >= 300) non2xx += 1;
            finish();
          });
        },
      );
      req.on('error', () => {
        latencies[index] = performance.now() - due;
        errors += 1;
        finish();
      });
      req.end(payload);
    };
    const tick = () => {
      const now = performance.now();
      // Send every request whose time has come (several when the client itself was late).
      while (sent < total && start + sent * interval <= now) {
        fire(start + sent * interval, sent);
        sent += 1;
      }
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
    };
    tick();
  });
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (ms) => Math.round(ms * 100) / 100;
  return {
    sent: total,
    ok: total - errors - non2xx,
    errors,
    non2xx,
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    max: round(sorted[sorted.length - 1]),
    achievedRate: Math.round(total / elapsed),
  };
}
