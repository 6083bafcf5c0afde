// Open-loop load at a fixed rate: requests leave on a fixed schedule (every 1/rate s) whether or not
// earlier ones have returned, and each latency includes any wait for a free connection, so a
// stalled server is charged in full (no coordinated omission, as in wrk2).
//
// autocannon's `overallRate` is not that: each connection sends back to back until it has made its
// share for the current second and then waits for the next second, so "1,000 req/s" is a burst at
// full speed followed by silence, and its latency correction then records synthetic values for
// every millisecond of each slow response. It stays the tool for the max-throughput runs.
//
// The client is a minimal HTTP/1.1 keep-alive client over TLS sockets (one request in flight per
// connection, a prebuilt request buffer, responses framed by Content-Length): node:https's
// per-request objects cost the client more CPU and garbage than the server spends answering, and
// every client pause would be charged to the server.
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';
import { connect } from 'node:tls';

const HEADER_END = Buffer.from('\r\n\r\n');

class Connection {
  constructor(target, ca, onIdle) {
    this.onIdle = onIdle;
    this.chunks = [];
    this.length = 0;
    this.job = undefined;
    this.socket = connect({ host: target.hostname, port: Number(target.port), ca, servername: undefined });
    this.socket.setNoDelay(true);
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('secureConnect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk) => this.data(chunk));
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  send(job, request) {
    this.job = job;
    this.socket.write(request);
  }

  data(chunk) {
    this.chunks.push(chunk);
    this.length += chunk.length;
    const buffer = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.length);
    const headerEnd = buffer.indexOf(HEADER_END);
    if (headerEnd === -1) return;
    const head = buffer.toString('latin1', 0, headerEnd);
    const match = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const bodyLength = match ? Number(match[1]) : 0;
    if (buffer.length < headerEnd + 4 + bodyLength) {
      this.chunks = [buffer];
      return;
    }
    this.chunks = [];
    this.length = 0;
    const job = this.job;
    this.job = undefined;
    job.done(Number(head.slice(9, 12)));
    this.onIdle(this);
  }

  fail(error) {
    const job = this.job;
    this.job = undefined;
    if (job) job.failed(error);
  }

  close() {
    this.socket.destroy();
  }
}

/**
 * @param {{ url: string, body: string, headers?: Record<string,string>, rate: number, seconds: number,
 *   connections?: number, ca?: Buffer, warmup?: number }} options (warmup: seconds at the same rate
 *   on the same connections before measuring, default 2)
 * @returns {Promise<{ sent: number, ok: number, errors: number, non2xx: number, p50: number, p90: number,
 *   p99: number, max: number, achievedRate: number, clientLateMs: number,
 *   requests: { sentAt: Float64Array, latencies: Float64Array } }>} latencies in ms; clientLateMs: the
 *   most the client's own timer ran behind the schedule; requests: each request's send time
 *   (epoch ms) and latency, in sending order
 */
export async function pacedLoad({
  url,
  body,
  headers = {},
  rate,
  seconds,
  connections = 16,
  ca,
  warmup = 2,
}) {
  const target = new URL(url);
  const payload = Buffer.from(body);
  const head = [
    `POST ${target.pathname} HTTP/1.1`,
    `host: ${target.host}`,
    'content-type: application/json',
    `content-length: ${payload.length}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ].join('\r\n');
  const request = Buffer.concat([Buffer.from(head, 'latin1'), payload]);
  const idle = [];
  const waiting = [];
  const onIdle = (connection) => {
    const next = waiting.shift();
    if (next) connection.send(next, request);
    else idle.push(connection);
  };
  const pool = Array.from({ length: connections }, () => new Connection(target, ca, onIdle));
  try {
    await Promise.all(pool.map((connection) => connection.ready));
    idle.push(...pool);
    const dispatch = (job) => {
      const connection = idle.pop();
      if (connection) connection.send(job, request);
      else waiting.push(job);
    };
    // Connections are open and TLS is negotiated; the warm-up also runs the client's own code hot.
    if (warmup > 0) await run(dispatch, rate, warmup);
    return await run(dispatch, rate, seconds);
  } finally {
    for (const connection of pool) connection.close();
  }
}

async function run(dispatch, rate, seconds) {
  const total = Math.round(rate * seconds);
  const latencies = new Float64Array(total);
  const sentAt = new Float64Array(total);
  let sent = 0;
  let done = 0;
  let errors = 0;
  let non2xx = 0;
  let lateness = 0;
  const interval = 1000 / rate;
  const start = performance.now();

  await new Promise((resolve) => {
    const finish = () => {
      done += 1;
      if (done === total) resolve();
    };
    const tick = () => {
      const now = performance.now();
      // Send every request whose time has come (several when the client itself was late).
      while (sent < total && start + sent * interval <= now) {
        // Latency runs from when the client got to send it (a timer firing late is the client's
        // delay, reported apart), including any wait for a free connection (the server's backlog).
        const due = now;
        sentAt[sent] = performance.timeOrigin + now;
        lateness = Math.max(lateness, now - (start + sent * interval));
        const index = sent;
        dispatch({
          done(status) {
            latencies[index] = performance.now() - due;
            if (!(status >= 200 && status < 300)) non2xx += 1;
            finish();
          },
          failed() {
            latencies[index] = performance.now() - due;
            errors += 1;
            finish();
          },
        });
        sent += 1;
      }
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
    };
    tick();
  });
  const elapsed = (performance.now() - start) / 1000;
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
    clientLateMs: round(lateness),
    requests: { sentAt, latencies },
  };
}
