import { X509Certificate } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { isParapetError } from '../../src/model/errors.js';
import { defaultSettings } from '../../src/model/settings.js';
import { loadPolicies } from '../../src/policies/load.js';
import { buildServer, type WebhookServer } from '../../src/server/app.js';
import { repoPath } from '../helpers.js';
import { createTestPki, haveOpenssl, type TestPki } from './certs.js';

if (!haveOpenssl)
  console.warn('test/server/tls.test.ts: skipped: the openssl CLI (Debian package openssl) is missing');

let engine: Engine;
let pki: TestPki;
const servers: WebhookServer[] = [];

beforeAll(async () => {
  engine = await createEngine(
    await loadPolicies({ paths: [repoPath('fixtures/admission/policies')], builtin: false }),
    defaultSettings(),
  );
  if (haveOpenssl) pki = createTestPki();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

interface Peer {
  status: number;
  serial: string;
}

/** GET /healthz over TLS, trusting the test CA; resolves with the server certificate's serial. */
function get(
  port: number,
  options: { cert?: string; key?: string; maxVersion?: 'TLSv1.1' } = {},
): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/healthz',
        ca: readFileSync(pki.ca.cert),
        agent: false,
        ...(options.cert ? { cert: readFileSync(options.cert), key: readFileSync(options.key!) } : {}),
        ...(options.maxVersion ? { maxVersion: options.maxVersion, minVersion: 'TLSv1' as const } : {}),
      },
      (response) => {
        const serial = (response.socket as import('node:tls').TLSSocket).getPeerCertificate().serialNumber;
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0, serial }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function serialOf(certFile: string): string {
  return new X509Certificate(readFileSync(certFile)).serialNumber;
}

async function listen(options: Parameters<typeof buildServer>[1]) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const app = buildServer(engine, { logger: { level: 'info', stream }, ...options });
  servers.push(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, port: (app.server.address() as { port: number }).port, lines };
}

async function until(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not met in time');
}

describe.skipIf(!haveOpenssl)('TLS', () => {
  it('refuses to start with a missing, non-PEM or mismatched certificate, in one line naming the file', () => {
    const server = pki.issue('start', { sans: ['IP:127.0.0.1'] });
    const other = pki.issue('other', { sans: ['IP:127.0.0.1'] });
    const garbage = path.join(pki.dir, 'garbage.crt');
    writeFileSync(garbage, 'this is not a certificate\n');
    const cases: Array<[{ cert: string; key: string }, RegExp]> = [
      [
        { cert: path.join(pki.dir, 'missing.crt'), key: server.key },
        /missing\.crt: cannot read certificate: no such file$/,
      ],
      [{ cert: garbage, key: server.key }, /garbage\.crt: certificate is not PEM \(no -----BEGIN line\)$/],
      [{ cert: server.cert, key: other.key }, /other\.key: unusable TLS material: .*key values mismatch/],
    ];
    for (const [files, message] of cases) {
      let thrown: unknown;
      try {
        buildServer(engine, { logger: false, tls: files });
      } catch (error) {
        thrown = error;
      }
      expect(isParapetError(thrown) && thrown.code).toBe('PARAPET_TLS');
      expect((thrown as Error).message).toMatch(message);
      expect((thrown as Error).message).not.toContain('\n');
    }
  });

  it('serves TLS 1.2+ only and reloads a rotated certificate without a restart', async () => {
    const first = pki.issue('rotate-1', { sans: ['IP:127.0.0.1', 'DNS:localhost'] });
    const second = pki.issue('rotate-2', { sans: ['IP:127.0.0.1', 'DNS:localhost'] });
    const live = { cert: path.join(pki.dir, 'live.crt'), key: path.join(pki.dir, 'live.key') };
    copyFileSync(first.cert, live.cert);
    copyFileSync(first.key, live.key);
    const { app, port, lines } = await listen({ tls: { ...live, reloadIntervalMs: 100 } });
    expect(await get(port)).toEqual({ status: 200, serial: serialOf(first.cert) });
    await expect(get(port, { maxVersion: 'TLSv1.1' })).rejects.toThrow();

    // cert-manager writes the new pair; the next handshake presents it.
    copyFileSync(second.key, live.key);
    copyFileSync(second.cert, live.cert);
    await until(async () => (await get(port)).serial === serialOf(second.cert));
    expect(lines.some((line) => line.includes('"event":"tls-reload"'))).toBe(true);

    // A broken file on reload: keep serving the previous certificate and log the error.
    writeFileSync(live.cert, '-----BEGIN CERTIFICATE-----\ntruncated\n');
    await until(async () => lines.some((line) => line.includes('"event":"tls-reload-failed"')));
    expect(await get(port)).toEqual({ status: 200, serial: serialOf(second.cert) });
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toContain(
      'parapet_tls_reloads_total{result="error"} 1',
    );
  });

  it('requires a client certificate signed by --client-ca when one is given', async () => {
    const server = pki.issue('mtls-server', { sans: ['IP:127.0.0.1'] });
    const apiserver = pki.issue('kube-apiserver-client', { client: true, commonName: 'kube-apiserver' });
    const stranger = createTestPki('parapet-pki-stranger-').issue('stranger', { client: true });
    const { port } = await listen({ tls: { ...server, clientCa: pki.ca.cert } });
    expect((await get(port, apiserver)).status).toBe(200);
    await expect(get(port)).rejects.toThrow();
    await expect(get(port, stranger)).rejects.toThrow();
  });
});
