/**
 * Certificate facts against OpenSSL: certificates made by test/certificates/make-certificates.sh at
 * test time are read by parapet (Node's X509Certificate and its own signature-algorithm reader) and
 * by `openssl x509 -text`, and must agree on dates, key, signature algorithm and names.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateCoversHost, certificatesIn } from '../../src/certificates/x509.js';
import { createRuleAjv } from '../../src/engine/ajv.js';
import { createEngine } from '../../src/engine/engine.js';
import { kubernetesResource } from '../../src/inputs/kubernetes.js';
import type { Policy } from '../../src/model/policy.js';
import type { Resource } from '../../src/model/resource.js';
import { defaultSettings, type Settings } from '../../src/model/settings.js';
import { loadPolicies } from '../../src/policies/load.js';

const run = promisify(execFile);
const script = path.join(import.meta.dirname, 'make-certificates.sh');
const haveOpenssl = await run('openssl', ['version']).then(
  () => true,
  () => false,
);
if (!haveOpenssl) console.warn('x509: skipped, openssl is not installed (apt-get install openssl)');

let dir = '';
const pem = (name: string): string => readFileSync(path.join(dir, `${name}.pem`), 'utf8');
const base64 = (text: string): string => Buffer.from(text).toString('base64');

beforeAll(async () => {
  if (!haveOpenssl) return;
  dir = mkdtempSync(path.join(tmpdir(), 'parapet-x509-'));
  await run('bash', [script, dir]);
}, 120_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What `openssl x509 -text` says of a certificate. */
async function opensslFacts(file: string) {
  const { stdout } = await run('openssl', ['x509', '-in', file, '-noout', '-text', '-enddate', '-startdate']);
  const signature = /Signature Algorithm: (\S+)/.exec(stdout)?.[1];
  const pssHash = /Hash Algorithm: (\S+)/.exec(stdout)?.[1];
  const bits = /Public-Key: \((\d+) bit\)/.exec(stdout)?.[1];
  const sans = /X509v3 Subject Alternative Name:\s*\n\s*(.*)/.exec(stdout)?.[1] ?? '';
  const notAfter = /notAfter=(.*)/.exec(stdout)![1]!;
  const notBefore = /notBefore=(.*)/.exec(stdout)![1]!;
  return {
    signature,
    pssHash,
    bits: bits === undefined ? undefined : Number(bits),
    dnsNames: [...sans.matchAll(/DNS:([^,\s]+)/g)].map((m) => m[1]),
    ipAddresses: [...sans.matchAll(/IP Address:([^,\s]+)/g)].map((m) => m[1]),
    notAfter: new Date(notAfter).toISOString(),
    notBefore: new Date(notBefore).toISOString(),
    ca: /CA:TRUE/.test(stdout),
  };
}

describe.skipIf(!haveOpenssl)('certificate facts', () => {
  it('agree with openssl on every generated certificate', async () => {
    const names = readdirSync(dir)
      .filter((file) => file.endsWith('.pem'))
      .map((file) => file.slice(0, -4))
      .sort();
    expect(names.length).toBeGreaterThanOrEqual(15);
    for (const name of names) {
      const expected = await opensslFacts(path.join(dir, `${name}.pem`));
      const [facts, ...rest] = certificatesIn(pem(name));
      expect(rest, name).toEqual([]);
      expect(facts?.readable, name).toBe(true);
      expect(facts!.signatureAlgorithm, name).toBe(expected.signature);
      if (expected.signature === 'rsassaPss') expect(facts!.signatureHash, name).toBe(expected.pssHash);
      if (expected.bits !== undefined) expect(facts!.keyBits, name).toBe(expected.bits);
      expect(facts!.dnsNames, name).toEqual(expected.dnsNames);
      expect(facts!.ipAddresses, name).toEqual(expected.ipAddresses);
      expect(facts!.notAfter, name).toBe(expected.notAfter);
      expect(facts!.notBefore, name).toBe(expected.notBefore);
      expect(facts!.ca, name).toBe(expected.ca);
    }
  });

  it('name the digest, key and dates a policy judges', () => {
    const now = Date.parse('2026-12-07T00:00:00Z');
    expect(certificatesIn(pem('sha1'), now)[0]).toMatchObject({
      signatureHash: 'sha1',
      keyType: 'rsa',
      keyBits: 2048,
    });
    expect(certificatesIn(pem('md5'), now)[0]).toMatchObject({ signatureHash: 'md5' });
    expect(certificatesIn(pem('ecdsa-sha1'), now)[0]).toMatchObject({
      signatureAlgorithm: 'ecdsa-with-SHA1',
      signatureHash: 'sha1',
      keyType: 'ec',
      curve: 'secp384r1',
      keyBits: 384,
      selfSigned: true,
    });
    expect(certificatesIn(pem('ed25519'), now)[0]).toMatchObject({
      keyType: 'ed25519',
      signatureHash: 'sha256',
    });
    expect(certificatesIn(pem('p224'), now)[0]).toMatchObject({
      keyType: 'ec',
      curve: 'secp224r1',
      keyBits: 224,
    });
    expect(certificatesIn(pem('expired'), now)[0]).toMatchObject({
      expired: true,
      notYetValid: false,
      notAfter: '2021-01-01T00:00:00.000Z',
      daysUntilExpiry: -2166,
    });
    expect(certificatesIn(pem('not-yet-valid'), now)[0]).toMatchObject({ expired: false, notYetValid: true });
    expect(certificatesIn(pem('good'), now)[0]).toMatchObject({
      selfSigned: false,
      ca: false,
      subject: 'CN=shop.example.com, O=Acme',
      issuer: 'O=Acme, CN=Acme Test CA',
    });
    expect(certificatesIn(pem('ca'), now)[0]).toMatchObject({ selfSigned: true, ca: true });
    const soon = certificatesIn(pem('soon'))[0]!;
    expect(soon.daysUntilExpiry).toBeGreaterThanOrEqual(9);
    expect(soon.daysUntilExpiry).toBeLessThanOrEqual(10);
  });

  it('read PEM, base64 of PEM, base64 of DER and bundles in order', async () => {
    const good = pem('good');
    const { stdout: derBase64 } = await run('sh', [
      '-c',
      `openssl x509 -in "${path.join(dir, 'good.pem')}" -outform DER | base64 -w0`,
    ]);
    for (const value of [good, base64(good), derBase64, `  ${base64(good).replace(/(.{76})/g, '$1\n')}\n`])
      expect(certificatesIn(value).map((c) => c.subject)).toEqual(['CN=shop.example.com, O=Acme']);
    const bundle = base64(good + pem('ca'));
    expect(certificatesIn(bundle).map((c) => [c.index, c.subject])).toEqual([
      [0, 'CN=shop.example.com, O=Acme'],
      [1, 'O=Acme, CN=Acme Test CA'],
    ]);
  });

  it('find nothing in values without certificates, and mark broken blocks unreadable', () => {
    for (const value of ['', 'changeme', base64('not a certificate at all'), '${TLS_CERT}'])
      expect(certificatesIn(value)).toEqual([]);
    const broken = '-----BEGIN CERTIFICATE-----\nMIIBroken\n-----END CERTIFICATE-----\n';
    const [facts] = certificatesIn(broken + pem('good'));
    expect(facts).toMatchObject({ index: 0, readable: false });
    expect(certificatesIn(broken + pem('good'))[1]).toMatchObject({ index: 1, readable: true });
  });

  it('match hosts on subject alternative names as OpenSSL does', () => {
    const good = pem('good');
    expect(certificateCoversHost(good, 'shop.example.com')).toBe(true);
    expect(certificateCoversHost(good, 'SHOP.example.com')).toBe(true);
    expect(certificateCoversHost(good, 'v1.api.example.com')).toBe(true);
    expect(certificateCoversHost(good, 'a.v1.api.example.com')).toBe(false);
    expect(certificateCoversHost(good, 'api.example.com')).toBe(false);
    expect(certificateCoversHost(good, 'admin.example.com')).toBe(false);
    // The subject CN is never a name: pss.example.com is in the SANs, the CA's CN is not a host.
    expect(certificateCoversHost(pem('ca'), 'Acme Test CA')).toBe(false);
  });
});

describe.skipIf(!haveOpenssl)('x509 keyword', () => {
  for (const allErrors of [false, true]) {
    const ajv = createRuleAjv({ allErrors });
    const validate = ajv.compile({
      properties: {
        data: {
          properties: {
            'tls.crt': {
              x509: {
                properties: {
                  daysUntilExpiry: { minimum: 30 },
                  signatureHash: { not: { enum: ['md5', 'sha1'] } },
                },
              },
            },
          },
        },
      },
    });
    const secret = (crt: string) => ({ data: { 'tls.crt': crt } });

    it(`holds when every certificate satisfies the schema (allErrors ${allErrors})`, () => {
      expect(validate(secret(base64(pem('good') + pem('ca'))))).toBe(true);
      expect(validate(secret(base64(pem('good') + pem('soon'))))).toBe(false);
      expect(validate(secret(base64(pem('sha1'))))).toBe(false);
      expect(validate(secret(pem('expired')))).toBe(false);
      expect(validate(secret(''))).toBe(true);
      expect(validate({ data: { 'tls.crt': 42 } })).toBe(true);
    });
  }

  it('rejects a schema value that is not a schema', () => {
    expect(() => createRuleAjv({ allErrors: false }).compile({ x509: 'sha1' })).toThrow();
  });
});

describe.skipIf(!haveOpenssl)('certificate policies at the run clock', () => {
  const secret = (name: string, crt: string, type = 'kubernetes.io/tls') =>
    kubernetesResource(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: 'shop' },
        type,
        data: { 'tls.crt': base64(crt), 'tls.key': '' },
      },
      { file: 'secrets.yaml', line: 1 },
    );
  async function failing(
    ids: string[],
    resources: Resource[],
    now?: Date,
    overrides: Partial<Settings> = {},
  ) {
    const policies = (await loadPolicies()).filter((policy) => ids.includes(policy.id));
    expect(policies.map((policy) => policy.id).sort()).toEqual([...ids].sort());
    const engine = await createEngine(policies, { ...defaultSettings(), ...overrides });
    const result = await engine.evaluate(resources, { notices: [], now });
    return result.findings.filter((f) => f.status === 'fail').map((f) => [f.policyId, f.resource.id]);
  }

  it('report a certificate inside the renewal window, by default 30 days', async () => {
    const resources = [secret('soon', pem('soon')), secret('good', pem('good'))];
    expect(await failing(['k8s-tls-certificate-expiring', 'k8s-tls-certificate-expired'], resources)).toEqual(
      [['k8s-tls-certificate-expiring', 'Secret/shop/soon']],
    );
    const later = new Date(Date.now() + 20 * 86_400_000);
    expect(
      await failing(['k8s-tls-certificate-expiring', 'k8s-tls-certificate-expired'], resources, later),
    ).toEqual([['k8s-tls-certificate-expired', 'Secret/shop/soon']]);
    expect(
      await failing(['k8s-tls-certificate-expiring'], resources, undefined, {
        parameters: { 'k8s-tls-certificate-expiring': { days: 5 } },
      }),
    ).toEqual([]);
  });

  it('judge validity at the clock the run is given', async () => {
    const expired = [secret('old', pem('expired'))];
    expect(await failing(['k8s-tls-certificate-expired'], expired)).toEqual([
      ['k8s-tls-certificate-expired', 'Secret/shop/old'],
    ]);
    expect(await failing(['k8s-tls-certificate-expired'], expired, new Date('2020-06-01T00:00:00Z'))).toEqual(
      [],
    );
    expect(
      await failing(['k8s-tls-certificate-expiring'], expired, new Date('2020-12-15T00:00:00Z')),
    ).toEqual([['k8s-tls-certificate-expiring', 'Secret/shop/old']]);
  });

  it('never judge a Secret that is not kubernetes.io/tls', async () => {
    const ids = [
      'k8s-tls-certificate-expired',
      'k8s-tls-certificate-expiring',
      'k8s-tls-certificate-weak-key',
      'k8s-tls-certificate-weak-signature',
    ];
    const bad = pem('expired') + pem('soon') + pem('rsa1024') + pem('md5');
    expect(
      await failing(ids, [
        secret('opaque', bad, 'Opaque'),
        secret('sa', bad, 'kubernetes.io/service-account-token'),
      ]),
    ).toEqual([]);
    expect((await failing(ids, [secret('tls', bad)])).map(([id]) => id).sort()).toEqual([
      'k8s-tls-certificate-expired',
      'k8s-tls-certificate-expiring',
      'k8s-tls-certificate-weak-key',
      'k8s-tls-certificate-weak-signature',
    ]);
  });

  it('refuse options the check does not know at compile time', async () => {
    const [policy] = (await loadPolicies()).filter((p) => p.id === 'k8s-tls-certificate-expired');
    const broken = {
      ...policy!,
      rule: { check: { name: 'k8s-tls-certificates', with: { judge: 'colour' } } },
    };
    await expect(createEngine([broken as Policy], defaultSettings())).rejects.toThrow(
      /k8s-tls-certificate-expired\.yaml: rule\.check\.with: judge must be one of validity, expiry, key, signature/,
    );
  });
});
