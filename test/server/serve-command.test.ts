import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';
import { createTestPki, haveOpenssl, type CertPair, type TestPki } from './certs.js';

if (!haveOpenssl)
  console.warn(
    'test/server/serve-command.test.ts: skipped: the openssl CLI (Debian package openssl) is missing',
  );

const policies = ['--no-builtin', '--policies', 'fixtures/admission/policies'];
let pki: TestPki;
let pair: CertPair;
let busy: Server;
let busyPort: number;

beforeAll(async () => {
  if (haveOpenssl) {
    pki = createTestPki();
    pair = pki.issue('serve', { sans: ['IP:127.0.0.1'] });
  }
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as { port: number }).port;
});

/** `parapet serve` on a free loopback port with the test certificate, and these arguments. */
const serveOnLoopback = (args: string[]) =>
  runCli([
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--probe-port',
    '0',
    '--tls-cert',
    pair.cert,
    '--tls-key',
    pair.key,
    ...args,
  ]);

afterAll(async () => {
  await new Promise((resolve) => busy.close(resolve));
});

describe.skipIf(!haveOpenssl)('parapet serve: start-up errors exit 2 with one line', () => {
  it('requires --tls-cert and --tls-key', async () => {
    const run = await runCli(['serve', ...policies]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'error: serve: --tls-cert and --tls-key are required (the API server only calls webhooks over HTTPS)\n',
    );
  });

  it('names a missing certificate file', async () => {
    const missing = path.join(pki.dir, 'nope.crt');
    const run = await runCli(['serve', '--tls-cert', missing, '--tls-key', pair.key, ...policies]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`error: ${missing}: cannot read certificate: no such file\n`);
  });

  it('names a key that does not belong to the certificate', async () => {
    const other = pki.issue('serve-other', { sans: ['IP:127.0.0.1'] });
    const run = await runCli(['serve', '--tls-cert', pair.cert, '--tls-key', other.key, ...policies]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(
        `^error: ${other.key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: unusable TLS material: .*\\n$`,
      ),
    );
  });

  it('reports a port in use and bad numbers as usage errors', async () => {
    const inUse = await runCli([
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      String(busyPort),
      '--tls-cert',
      pair.cert,
      '--tls-key',
      pair.key,
      ...policies,
    ]);
    expect(inUse.code).toBe(2);
    expect(inUse.stderr).toMatch(
      new RegExp(`^error: serve: cannot listen on 127\\.0\\.0\\.1:${busyPort}: .*EADDRINUSE.*\\n$`),
    );
    const badPort = await runCli([
      'serve',
      '--port',
      'https',
      '--tls-cert',
      pair.cert,
      '--tls-key',
      pair.key,
      ...policies,
    ]);
    expect(badPort.stderr).toBe('error: --port: "https" is not a whole number between 0 and 65535\n');
    const badBudget = await runCli([
      'serve',
      '--budget-ms',
      '60000',
      '--tls-cert',
      pair.cert,
      '--tls-key',
      pair.key,
      ...policies,
    ]);
    expect(badBudget.stderr).toBe('error: --budget-ms: "60000" is not a whole number between 1 and 29000\n');
  });

  it('exits 2 naming the policy when policies do not load', async () => {
    const run = await serveOnLoopback(['--no-builtin', '--policies', 'fixtures/admission/no-such-dir']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('fixtures/admission/no-such-dir');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exits 2 when --namespace-labels=cluster cannot read the cluster', async () => {
    const saved = process.env.KUBECONFIG;
    const missing = path.join(tmpdir(), 'parapet-no-such-kubeconfig');
    process.env.KUBECONFIG = missing;
    try {
      const run = await serveOnLoopback(['--namespace-labels', 'cluster', ...policies]);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^error: kubeconfig: cannot read the kubeconfig: .*parapet-no-such-kubeconfig/);
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
  });

  it('exits 2 naming a vulnerability report of its configuration that is not a report', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-serve-'));
    const report = path.join(dir, 'trivy.json');
    writeFileSync(report, '{"SchemaVersion": 2, "Results": [');
    const config = path.join(dir, 'parapet.yaml');
    writeFileSync(config, 'images:\n  vulnerabilityReports: [trivy.json]\n');
    const run = await serveOnLoopback(['--config', config, ...policies]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(
        `^error: ${report.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: vulnerability report is not JSON \\(.*\\)\\n$`,
      ),
    );
  });
});
