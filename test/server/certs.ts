/**
 * Test PKI made with the openssl CLI: a CA, serving certificates for 127.0.0.1/localhost, and
 * client certificates, written to a temporary directory. Node's crypto cannot issue certificates.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const haveOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface CertPair {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  ca: CertPair;
  /** Issue a certificate signed by the CA: a server certificate with SANs, or a client certificate. */
  issue(
    name: string,
    options?: { commonName?: string; sans?: string[]; client?: boolean; organization?: string },
  ): CertPair;
}

/** A fresh CA in a temporary directory (EC P-256 keys: fast to generate). */
export function createTestPki(prefix = 'parapet-pki-'): TestPki {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const ca = { cert: path.join(dir, 'ca.crt'), key: path.join(dir, 'ca.key') };
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', ca.key], dir);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      ca.key,
      '-sha256',
      '-days',
      '2',
      '-subj',
      '/CN=parapet-test-ca',
      '-out',
      ca.cert,
    ],
    dir,
  );
  let serial = 1;
  return {
    dir,
    ca,
    issue(name, options = {}) {
      const pair = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
      const csr = path.join(dir, `${name}.csr`);
      const ext = path.join(dir, `${name}.ext`);
      const subject = `${options.organization ? `/O=${options.organization}` : ''}/CN=${options.commonName ?? name}`;
      openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', pair.key], dir);
      openssl(['req', '-new', '-key', pair.key, '-subj', subject, '-out', csr], dir);
      const lines = ['basicConstraints=CA:FALSE', 'keyUsage=digitalSignature,keyEncipherment'];
      lines.push(`extendedKeyUsage=${options.client ? 'clientAuth' : 'serverAuth'}`);
      if (options.sans?.length) lines.push(`subjectAltName=${options.sans.join(',')}`);
      writeFileSync(ext, `${lines.join('\n')}\n`);
      openssl(
        [
          'x509',
          '-req',
          '-in',
          csr,
          '-CA',
          ca.cert,
          '-CAkey',
          ca.key,
          '-set_serial',
          String(serial++ * 1000 + (Date.now() % 1000)),
          '-days',
          '2',
          '-sha256',
          '-extfile',
          ext,
          '-out',
          pair.cert,
        ],
        dir,
      );
      return pair;
    },
  };
}
