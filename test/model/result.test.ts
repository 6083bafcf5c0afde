import { describe, expect, it } from 'vitest';
import { fingerprint, fingerprintAfter, fingerprintPrefix } from '../../src/model/result.js';

/** The documented definition, written plainly: both lanes over `${policy}\0${resource}\0${path}`. */
function referenceFingerprint(policyId: string, resourceId: string, path: string): string {
  const text = `${policyId}\0${resourceId}\0${path}`;
  let a = 0x811c9dc5 | 0;
  let b = 0x9e3779b9 | 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  b = Math.imul(b ^ (b >>> 16), 0xc2b2ae35);
  b ^= a;
  a ^= b >>> 7;
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

describe('fingerprint', () => {
  it('keeps the values baselines and SARIF already hold', () => {
    expect(fingerprint('image-allowed-registries', 'docker.io/team-0/service_0:1.27.3', '/name')).toBe(
      '4556cca693427112',
    );
  });

  const ids = [
    '',
    'docker.io/library/nginx:1.27',
    'Deployment/prod/web',
    'module.net.aws_subnet.a["ü"]',
    'emoji/😀',
    'lone\ud800surrogate',
    'x'.repeat(1023),
    'y'.repeat(1024),
    'z'.repeat(1025),
    'é'.repeat(700),
    'docker.io/library/nginx:1.27',
  ];

  it('is the hash of policy, resource and path for ASCII, non-ASCII and long ids alike', () => {
    for (const policyId of ['image-tag-not-latest', 'pölicy']) {
      const prefix = fingerprintPrefix(policyId);
      for (const id of ids)
        for (const path of ['', '/tag', '/metadata/annotations/ä']) {
          expect(fingerprintAfter(prefix, id, path)).toBe(referenceFingerprint(policyId, id, path));
          expect(fingerprint(policyId, id, path)).toBe(referenceFingerprint(policyId, id, path));
        }
    }
  });

  it('does not mix up ids of equal length hashed one after another', () => {
    const prefix = fingerprintPrefix('p');
    const first = fingerprintAfter(prefix, 'registry.example.com/a:1', '');
    const second = fingerprintAfter(prefix, 'registry.example.com/b:1', '');
    expect(first).toBe(referenceFingerprint('p', 'registry.example.com/a:1', ''));
    expect(second).toBe(referenceFingerprint('p', 'registry.example.com/b:1', ''));
    expect(fingerprintAfter(prefix, 'registry.example.com/a:1', '')).toBe(first);
  });
});
