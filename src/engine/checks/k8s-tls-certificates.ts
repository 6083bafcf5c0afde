import { certificatesIn, type CertificateFacts } from '../../certificates/x509.js';
import type { Resource } from '../../model/resource.js';
import { escapePointerToken } from '../pointer.js';
import type { Violation } from '../rules/types.js';
import { countOption, isRecord, optionError } from './ecosystem-support.js';
import type { CheckDefinition } from './types.js';

type Judge = 'validity' | 'expiry' | 'key' | 'signature';
const judges: Judge[] = ['validity', 'expiry', 'key', 'signature'];

/** A TLS Secret's certificate data: `data` (base64) or `stringData` (PEM), with its pointer. */
export function secretCertificateValues(
  resource: Resource,
  keys: readonly string[],
): Array<{ key: string; path: string; value: string }> {
  const out: Array<{ key: string; path: string; value: string }> = [];
  for (const field of ['stringData', 'data'] as const) {
    const values = resource.body[field];
    if (!isRecord(values)) continue;
    for (const key of keys) {
      const value = values[key];
      if (typeof value === 'string' && value !== '')
        out.push({ key, path: `/${field}/${escapePointerToken(key)}`, value });
    }
  }
  return out;
}

/** `CN=shop.example.com` or, without a subject, the certificate's place in the bundle. */
function named(certificate: CertificateFacts, key: string): string {
  const where = certificate.index === 0 ? key : `${key} (certificate ${certificate.index + 1} of the bundle)`;
  return certificate.subject
    ? `certificate "${certificate.subject}" in ${where}`
    : `the certificate in ${where}`;
}

const digestName = (hash: string): string => hash.toUpperCase().replace(/^SHA(\d)$/, 'SHA-$1');

const day = (iso: string | undefined): string => (iso ?? '').slice(0, 10);

/**
 * `k8s-tls-certificates`: judges the certificates of `kubernetes.io/tls` Secrets (decoded with
 * Node's X509Certificate). `with.judge` picks what: `validity` (expired or not yet valid), `expiry`
 * (expires within `days`), `key` (RSA/DSA below `minRsaBits`, EC below `minEcBits`), `signature`
 * (signed with a digest in `weakHashes`; self-signed roots are trust anchors and exempt). Secrets of
 * any other type are never judged.
 */
export const k8sTlsCertificatesCheck: CheckDefinition = {
  name: 'k8s-tls-certificates',
  description: 'certificates of kubernetes.io/tls Secrets: validity, expiry, key strength, signature digest',
  compile(options, policy) {
    const judge = options.judge as Judge;
    if (!judges.includes(judge))
      throw optionError(
        policy,
        `judge must be one of ${judges.join(', ')} (got ${JSON.stringify(options.judge)})`,
      );
    const days = countOption(policy, options, 'days', 30);
    const minRsaBits = countOption(policy, options, 'minRsaBits', 2048);
    const minEcBits = countOption(policy, options, 'minEcBits', 256);
    const weakHashes = options.weakHashes ?? ['md2', 'md5', 'sha1'];
    if (!Array.isArray(weakHashes) || !weakHashes.every((hash) => typeof hash === 'string'))
      throw optionError(policy, 'weakHashes must be a list of digest names (md5, sha1 ...)');
    const weak = new Set(weakHashes.map((hash) => hash.toLowerCase()));
    const keys = options.keys ?? ['tls.crt'];
    if (
      !Array.isArray(keys) ||
      keys.length === 0 ||
      !keys.every((key) => typeof key === 'string' && key !== '')
    )
      throw optionError(policy, 'keys must be a non-empty list of Secret data keys (tls.crt, ca.crt ...)');

    const problem = (certificate: CertificateFacts, key: string): string | undefined => {
      if (!certificate.readable) return undefined;
      const what = named(certificate, key);
      switch (judge) {
        case 'validity':
          if (certificate.expired)
            return `${what} expired on ${day(certificate.notAfter)} (${-certificate.daysUntilExpiry!} days ago)`;
          if (certificate.notYetValid) return `${what} is not valid before ${day(certificate.notBefore)}`;
          return undefined;
        case 'expiry':
          // An expired certificate is the validity policy's finding.
          if (certificate.expired || certificate.daysUntilExpiry! >= days) return undefined;
          return `${what} expires on ${day(certificate.notAfter)}, in ${certificate.daysUntilExpiry} days (renew at least ${days} days ahead)`;
        case 'key': {
          const bits = certificate.keyBits;
          if (certificate.keyType === 'dsa')
            return `${what} has a DSA key, which TLS 1.3 and current browsers no longer accept`;
          if (
            (certificate.keyType === 'rsa' || certificate.keyType === 'rsa-pss') &&
            bits !== undefined &&
            bits < minRsaBits
          )
            return `${what} has a ${bits}-bit RSA key (at least ${minRsaBits} bits required)`;
          if (certificate.keyType === 'ec' && (bits === undefined || bits < minEcBits))
            return `${what} has an EC key on ${certificate.curve ?? 'an unnamed curve'} (at least ${minEcBits} bits required)`;
          return undefined;
        }
        case 'signature':
          if (certificate.selfSigned && certificate.ca) return undefined;
          if (certificate.signatureHash === undefined || !weak.has(certificate.signatureHash))
            return undefined;
          return `${what} is signed with ${certificate.signatureAlgorithm} (${digestName(certificate.signatureHash)} is broken for signatures)`;
      }
    };

    return {
      scope: 'resource',
      evaluate(resource: Resource, ctx): Violation[] {
        if (resource.body.type !== 'kubernetes.io/tls') return [];
        const out: Violation[] = [];
        const now = ctx.now?.getTime() ?? Date.now();
        for (const { key, path, value } of secretCertificateValues(resource, keys)) {
          for (const certificate of certificatesIn(value, now)) {
            const message = problem(certificate, key);
            if (message !== undefined)
              out.push({
                path,
                values: { problem: message, certificate },
                details: {
                  key,
                  index: certificate.index,
                  subject: certificate.subject,
                  notAfter: certificate.notAfter,
                },
              });
          }
        }
        return out;
      },
    };
  },
};
