/**
 * x509_decode against test/x509-oracle (Go's crypto/x509 and encoding/json, which is what Kyverno's
 * function returns), built by .ci/setup-x509-oracle.sh, on realistic certificates and requests.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { x509Decode } from '../../src/kyverno/x509.js';
import { query } from '../../src/kyverno/jmespath.js';
import { repoPath } from '../helpers.js';

const oracle = path.join(process.env.PARAPET_CACHE ?? '/var/cache/parapet', 'bin', 'x509-oracle');
const certs = repoPath('fixtures', 'kyverno', 'certs');
const files = readdirSync(certs)
  .filter((name) => name.endsWith('.pem'))
  .sort();

function parapet(pem: string): unknown {
  try {
    return JSON.parse(JSON.stringify(x509Decode(pem))) as unknown;
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe.skipIf(!existsSync(oracle))(
  `x509_decode agrees with Go's x509 (${existsSync(oracle) ? oracle : 'run .ci/setup-x509-oracle.sh'})`,
  () => {
    it.each(files)('%s', (name) => {
      const pem = readFileSync(path.join(certs, name), 'utf8');
      const expected = JSON.parse(execFileSync(oracle, { input: pem, encoding: 'utf8' })) as unknown;
      expect(parapet(pem)).toEqual(expected);
    });
  },
);

describe('x509_decode in policies', () => {
  it('reads fields the way Kyverno policies address them', () => {
    const pem = readFileSync(path.join(certs, 'webhook-serving.pem'), 'utf8');
    expect(query('x509_decode(@).Subject.CommonName', pem)).toBe('policy-webhook.parapet.svc');
    expect(query('x509_decode(@).DNSNames', pem)).toEqual([
      'policy-webhook.parapet.svc',
      'policy-webhook.parapet.svc.cluster.local',
    ]);
    expect(query('x509_decode(@).IsCA', pem)).toBe(false);
  });

  it('refuses what Kyverno refuses', () => {
    expect(() => x509Decode('not a certificate')).toThrow('failed to decode PEM block');
    expect(() => x509Decode(readFileSync(path.join(certs, 'ecdsa.pem'), 'utf8'))).toThrow(
      'certificate should use rsa algorithm',
    );
  });
});
