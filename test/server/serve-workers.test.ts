/**
 * `parapet serve --workers N` from the built CLI (node:cluster forks the CLI itself): workers share
 * the port, /metrics adds them up, a dead worker is replaced, SIGTERM stops them all, and start-up
 * errors are one line and exit 2 as with one process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoPath, runCli } from '../helpers.js';
import { createTestPki, haveOpenssl, type CertPair, type TestPki } from './certs.js';

const cli = repoPath('dist/cli/main.js');
const built = existsSync(cli);
if (!haveOpenssl)
  console.warn(
    'test/server/serve-workers.test.ts: skipped: the openssl CLI (Debian package openssl) is missing',
  );
if (!built) console.warn('test/server/serve-workers.test.ts: skipped: dist/ is not built (npm run build)');

const policies = ['--no-builtin', '--policies', repoPath('fixtures/admission/policies')];
const privileged = readFileSync(repoPath('fixtures/admission/reviews/pod-privileged-create.v1.json'), 'utf8');

let pki: TestPki;
let pair: CertPair;
let ca: Buffer;

beforeAll(() => {
  if (!haveOpenssl) return;
  pki = createTestPki();
  pair = pki.issue('workers', { sans: ['IP:127.0.0.1'] });
  ca = readFileSync(pki.ca.cert);
});

/** `serve` on a free loopback port with the test certificate and `workers` workers. */
const onLoopback = (workers: number) => [
  '--host=127.0.0.1',
  '--port=0',
  '--probe-port=0',
  `--tls-cert=${pair.cert}`,
  `--tls-key=${pair.key}`,
  `--workers=${workers}`,
];

interface Started {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(args: string[]): Started {
  const child = spawn(process.execPath, [cli, 'serve', ...args], {
    cwd: repoPath(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let partial = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const line of parts) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, lines, stderr: () => stderr, exited };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One request on a connection of its own, so that node:cluster hands each to the next worker. */
function call(
  port: number,
  method: string,
  pathname: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: pathname,
        ca,
        agent: false,
        headers: body ? { 'content-type': 'application/json' } : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!haveOpenssl || !built)('parapet serve --workers 2', () => {
  let server: Started;
  let port: number;
  const readyWorkers = () =>
    server.lines.filter((l) => l.event === 'worker-ready' && l.pid === server.child.pid).map((l) => l.worker);

  beforeAll(async () => {
    server = start([...onLoopback(2), ...policies]);
    await until('two ready workers', () => (readyWorkers().length >= 2 ? true : undefined));
    const listening = server.lines.find((l) => /^Server listening at /.test(String(l.msg)));
    port = Number(/:(\d+)$/.exec(String(listening?.msg))?.[1]);
  }, 60_000);

  afterAll(() => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
  });

  it('answers from both workers, and /metrics adds their counts up', async () => {
    for (let i = 0; i < 6; i += 1) {
      const response = await call(port, 'POST', '/validate', privileged);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.text).response.allowed).toBe(false);
    }
    const answeredBy = new Set(
      server.lines.filter((l) => l.event === 'admission').map((l) => l.pid as number),
    );
    expect([...answeredBy].sort()).toEqual([...readyWorkers()].sort());
    // Each worker answers /metrics for all: ask twice, on two connections (two workers).
    for (let i = 0; i < 2; i += 1) {
      const metrics = await call(port, 'GET', '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.text).toContain(
        'parapet_admission_requests_total{route="validate",operation="CREATE",kind="Pod",decision="denied"} 6',
      );
      expect(metrics.text).toMatch(/^parapet_ready_processes 2$/m);
    }
  });

  it('replaces a worker that dies, and keeps answering', async () => {
    const [victim, survivor] = readyWorkers() as number[];
    process.kill(victim!, 'SIGKILL');
    const exit = await until('the worker-exit line', () =>
      server.lines.find((l) => l.event === 'worker-exit' && l.worker === victim),
    );
    expect(exit).toMatchObject({ level: 50, signal: 'SIGKILL', wasReady: true });
    const replacement = await until('a replacement', () =>
      readyWorkers().find((pid) => pid !== victim && pid !== survivor),
    );
    expect(alive(replacement as number)).toBe(true);
    for (let i = 0; i < 4; i += 1)
      expect((await call(port, 'POST', '/validate', privileged)).status).toBe(200);
    const metrics = await call(port, 'GET', '/metrics');
    expect(metrics.text).toMatch(/^parapet_ready_processes 2$/m);
  }, 30_000);

  it('stops every worker on SIGTERM and exits 0', async () => {
    const workers = readyWorkers() as number[];
    server.child.kill('SIGTERM');
    const { code, signal } = await server.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    for (const pid of workers)
      await until(`worker ${pid} to exit`, () => (alive(pid) ? undefined : true), 5_000);
    expect(server.lines.filter((l) => l.event === 'shutdown').length).toBe(1 + 2);
    expect(server.stderr()).toBe('');
  }, 30_000);
});

describe.skipIf(!haveOpenssl || !built)('parapet serve --workers: start-up errors', () => {
  it('names a missing certificate once and exits 2', async () => {
    const missing = `${pki.dir}/missing.crt`;
    const run = start(['--tls-cert', missing, '--tls-key', pair.key, '--workers', '2', ...policies]);
    expect((await run.exited).code).toBe(2);
    expect(run.stderr()).toBe(`error: ${missing}: cannot read certificate: no such file\n`);
  });

  it('exits 2 with the first worker’s one line when policies do not load', async () => {
    const run = start([...onLoopback(3), '--no-builtin', '--policies', 'fixtures/admission/no-such-dir']);
    expect((await run.exited).code).toBe(2);
    const lines = run.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: fixtures\/admission\/no-such-dir: /);
    // Only the first worker was started.
    expect(run.lines.filter((l) => l.event === 'ready' || l.event === 'not-ready')).toHaveLength(1);
  });

  it('rejects worker counts that are not whole numbers from 1 to 64', async () => {
    for (const bad of ['0', '65', 'two']) {
      const run = await runCli(['serve', '--tls-cert', pair.cert, '--tls-key', pair.key, '--workers', bad]);
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`error: --workers: "${bad}" is not a whole number between 1 and 64\n`);
    }
  });

  it('needs the parapet command itself for more than one worker', async () => {
    const run = await runCli(['serve', '--tls-cert', pair.cert, '--tls-key', pair.key, '--workers', '2']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'error: serve: --workers above 1 needs the parapet command itself (it starts one process per worker)\n',
    );
  });
});
