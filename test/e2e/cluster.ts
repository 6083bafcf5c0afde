/**
 * A real control plane on loopback for the webhook's end-to-end test: etcd and kube-apiserver (built
 * by .ci/setup-k8s.sh into /var/cache/parapet/bin), a test PKI, an admin kubeconfig, and a
 * `parapet serve` process from dist/. Everything listens on 127.0.0.1 and is stopped by `stop()`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestPki, haveOpenssl, type TestPki } from '../server/certs.js';
import { repoPath } from '../helpers.js';

const run = promisify(execFile);

export const binDir = process.env.PARAPET_K8S_BIN ?? '/var/cache/parapet/bin';
export const binaries = {
  etcd: path.join(binDir, 'etcd'),
  apiserver: path.join(binDir, 'kube-apiserver'),
  kubectl: path.join(binDir, 'kubectl'),
  parapet: repoPath('dist/cli/main.js'),
};

/** Why the end-to-end test cannot run here, or undefined when it can. */
export function missingPrerequisite(): string | undefined {
  if (!haveOpenssl) return 'the openssl CLI';
  for (const [name, file] of Object.entries(binaries)) {
    if (!existsSync(file))
      return `${name} at ${file} (${name === 'parapet' ? 'run npm run build' : 'run .ci/setup-k8s.sh'})`;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  processes: ChildProcess[],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const dead = processes.find((p) => p.exitCode !== null || p.signalCode !== null);
    if (dead)
      throw new Error(
        `${what}: ${dead.spawnfile} exited (${dead.exitCode ?? dead.signalCode}) before it was ready`,
      );
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms`);
}

function httpsStatus(url: string, ca: Buffer, auth?: { cert: Buffer; key: Buffer }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false, timeout: 2000, ...(auth ?? {}) }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Cluster {
  dir: string;
  pki: TestPki;
  kubeconfig: string;
  webhookPort: number;
  kubectl(args: string[], stdin?: string): Promise<KubectlResult>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** etcd's storage quota (default 256 MiB); the audit benchmark stores 100,000 workloads. */
  etcdQuotaBytes?: number;
  /**
   * Run `parapet serve` with a kubeconfig of its own, as this user (a client certificate with this
   * common name, e.g. `system:serviceaccount:parapet-system:parapet` to act as that service account).
   */
  serveUser?: string;
  /** Runs with the admin's kubectl before `parapet serve` starts (RBAC the server needs). */
  beforeServe?: (kubectl: Cluster['kubectl']) => Promise<void>;
}

/**
 * Polls `attempt` (every `intervalMs`) until it says it is done, and returns its
 * value; after `timeoutMs`, the last attempt's value. The API server picks up
 * webhook configurations, and parapet namespace changes, asynchronously.
 */
export async function eventually<T>(
  attempt: () => Promise<{ done: boolean; value: T }>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await attempt();
    if (result.done || Date.now() > deadline) return result.value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Waits until the API server calls parapet: `kubectl create --dry-run=server` of `manifest` (a file
 * path, or YAML given on stdin) that parapet denies, until the denial names parapet.
 */
export async function waitForWebhook(cluster: Cluster, manifest: { file: string } | { yaml: string }) {
  const args = ['create', '--dry-run=server', '-f', 'file' in manifest ? manifest.file : '-'];
  const probe = await eventually(
    async () => {
      const result = await cluster.kubectl(args, 'yaml' in manifest ? manifest.yaml : undefined);
      return { done: result.code !== 0 && result.stderr.includes('parapet'), value: result };
    },
    60_000,
    500,
  );
  if (!(probe.code !== 0 && probe.stderr.includes('parapet')))
    throw new Error(`the API server never called parapet: ${probe.stderr || probe.stdout}`);
}

/** Starts etcd, kube-apiserver and `parapet serve` with `serveArgs`; logs go to files in `dir`. */
export async function startCluster(
  dir: string,
  serveArgs: string[],
  options: ClusterOptions = {},
): Promise<Cluster> {
  mkdirSync(dir, { recursive: true });
  const pki = createTestPki('parapet-e2e-pki-');
  const apiserverCert = pki.issue('kube-apiserver', {
    sans: ['IP:127.0.0.1', 'DNS:localhost', 'DNS:kubernetes.default.svc'],
  });
  const admin = pki.issue('admin', { client: true, commonName: 'e2e-admin', organization: 'system:masters' });
  const webhook = pki.issue('parapet-webhook', { sans: ['IP:127.0.0.1', 'DNS:localhost'] });
  const serviceAccountKey = path.join(pki.dir, 'sa.key');
  const serviceAccountPub = path.join(pki.dir, 'sa.pub');
  await run('openssl', ['genrsa', '-out', serviceAccountKey, '2048']);
  await run('openssl', ['rsa', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPub]);

  const [etcdClient, etcdPeer, apiPort, webhookPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const processes: ChildProcess[] = [];
  const start = (name: string, command: string, args: string[], env?: NodeJS.ProcessEnv) => {
    const log = openSync(path.join(dir, `${name}.log`), 'w');
    const child = spawn(command, args, { stdio: ['ignore', log, log], cwd: repoPath(), env });
    processes.push(child);
    return child;
  };

  const stop = async () => {
    for (const child of processes.slice().reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const killed = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killed);
    }
  };

  try {
    start('etcd', binaries.etcd, [
      '--name=e2e',
      `--data-dir=${path.join(dir, 'etcd-data')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=e2e=http://127.0.0.1:${etcdPeer}`,
      `--quota-backend-bytes=${options.etcdQuotaBytes ?? 268435456}`,
      '--log-level=warn',
    ]);
    await waitFor(
      'etcd',
      async () => (await fetch(`http://127.0.0.1:${etcdClient}/health`)).ok,
      60_000,
      processes,
    );

    start('kube-apiserver', binaries.apiserver, [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${path.join(dir, 'apiserver-certs')}`,
      `--tls-cert-file=${apiserverCert.cert}`,
      `--tls-private-key-file=${apiserverCert.key}`,
      `--client-ca-file=${pki.ca.cert}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${serviceAccountPub}`,
      `--service-account-signing-key-file=${serviceAccountKey}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      // Privileged pods must reach the webhook: parapet, not the API server, is what rejects them.
      '--allow-privileged=true',
      '--v=1',
    ]);
    const ca = readFileSync(pki.ca.cert);
    const adminAuth = { cert: readFileSync(admin.cert), key: readFileSync(admin.key) };
    await waitFor(
      'kube-apiserver',
      async () => (await httpsStatus(`https://127.0.0.1:${apiPort}/readyz`, ca, adminAuth)) === 200,
      240_000,
      processes,
    );

    const kubeconfig = path.join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: e2e\n  cluster:\n    server: https://127.0.0.1:${apiPort}\n    certificate-authority: ${pki.ca.cert}`,
        'users:',
        `- name: admin\n  user:\n    client-certificate: ${admin.cert}\n    client-key: ${admin.key}`,
        'contexts:',
        '- name: e2e\n  context:\n    cluster: e2e\n    user: admin',
        'current-context: e2e',
        '',
      ].join('\n'),
    );

    const kubectl = async (args: string[], stdin?: string): Promise<KubectlResult> =>
      new Promise((resolve) => {
        const child = execFile(
          binaries.kubectl,
          [`--kubeconfig=${kubeconfig}`, '--request-timeout=30s', ...args],
          // A cluster-wide PolicyReport of the whole library is larger than execFile's 1 MiB default.
          { cwd: repoPath(), env: { PATH: process.env.PATH ?? '', HOME: dir }, maxBuffer: 256 * 1024 * 1024 },
          (error, stdout, stderr) =>
            resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
        if (stdin !== undefined) child.stdin?.end(stdin);
      });
    await options.beforeServe?.(kubectl);
    const serveEnv: NodeJS.ProcessEnv = { ...process.env };
    if (options.serveUser !== undefined) {
      const user = pki.issue('parapet-serve', { client: true, commonName: options.serveUser });
      serveEnv.KUBECONFIG = path.join(dir, 'serve.kubeconfig');
      writeFileSync(
        serveEnv.KUBECONFIG,
        readFileSync(kubeconfig, 'utf8')
          .replace(`client-certificate: ${admin.cert}`, `client-certificate: ${user.cert}`)
          .replace(`client-key: ${admin.key}`, `client-key: ${user.key}`),
      );
    }
    start(
      'parapet',
      process.execPath,
      [
        binaries.parapet,
        'serve',
        '--host=127.0.0.1',
        `--port=${webhookPort}`,
        // A free probe port: other servers (parallel suites) may hold the default.
        '--probe-port=0',
        `--tls-cert=${webhook.cert}`,
        `--tls-key=${webhook.key}`,
        ...serveArgs,
      ],
      serveEnv,
    );
    await waitFor(
      'parapet serve',
      async () => (await httpsStatus(`https://127.0.0.1:${webhookPort}/readyz`, ca)) === 200,
      60_000,
      processes,
    );

    return { dir, pki, kubeconfig, webhookPort, kubectl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
