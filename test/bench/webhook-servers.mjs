// `parapet serve` for the webhook benchmarks: a throwaway PKI (openssl), the realistic Deployment
// review, a no-policy baseline, and servers started from dist/ in processes of their own, each
// ready once all of its workers have compiled their policies.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The review every webhook benchmark sends: a Deployment of three containers, 10 KB. */
export const reviewBody = readFileSync(
  path.join(root, 'fixtures/admission/reviews/deployment-checkout-create.v1.json'),
  'utf8',
);

/**
 * A CA and a serving certificate for 127.0.0.1 in a temporary directory, and a policy directory
 * for the no-policy baseline (`noPolicyArgs`). `cleanup()` removes them.
 */
export function benchSetup() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parapet-webhook-bench-'));
  const openssl = (...args) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
  openssl(
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-sha256',
    '-days',
    '1',
    '-subj',
    '/CN=bench-ca',
    '-out',
    'ca.crt',
  );
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'tls.key');
  openssl('req', '-new', '-key', 'tls.key', '-subj', '/CN=127.0.0.1', '-out', 'tls.csr');
  writeFileSync(path.join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl(
    ...['x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', '1'],
    ...['-days', '1', '-extfile', 'ext', '-out', 'tls.crt'],
  );
  const emptyPolicies = path.join(dir, 'no-policies');
  mkdirSync(emptyPolicies);
  // The no-policy baseline still needs one policy to start; this one matches no kind in the review.
  writeFileSync(
    path.join(emptyPolicies, 'always-passes.yaml'),
    [
      'id: bench-matches-nothing',
      'title: Matches no resource (baseline)',
      'severity: info',
      'category: best-practice',
      'match: { source: kubernetes, kinds: [BenchNothing] }',
      'rule: { schema: { target: body, assert: {} } }',
      "message: 'never'",
      '',
    ].join('\n'),
  );
  return {
    dir,
    ca: readFileSync(path.join(dir, 'ca.crt')),
    cert: path.join(dir, 'tls.crt'),
    key: path.join(dir, 'tls.key'),
    noPolicyArgs: ['--no-builtin', `--policies=${emptyPolicies}`],
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Processes whose policies are compiled (all workers of `--workers`, summed by the primary).
function readyProcesses(port, ca) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', ca, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve(Number(/^parapet_ready_processes (\d+)$/m.exec(text)?.[1] ?? 0)));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

/**
 * Starts `parapet serve --workers=N` from dist/ on a free loopback port; resolves once every
 * worker is ready. The decision log goes to /dev/null.
 * @returns {Promise<{ port: number, child: import('node:child_process').ChildProcess }>}
 */
export async function startServer(setup, workers, extraArgs = []) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'dist/cli/main.js'),
      'serve',
      '--host=127.0.0.1',
      `--port=${port}`,
      `--tls-cert=${setup.cert}`,
      `--tls-key=${setup.key}`,
      `--workers=${workers}`,
      ...extraArgs,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const deadline = Date.now() + 60_000;
  while ((await readyProcesses(port, setup.ca)) !== workers) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error('parapet serve did not become ready');
    await sleep(100);
  }
  return { port, child };
}

export async function stopServer({ child }) {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}
