import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import { loadInputs } from '../../src/inputs/load.js';
import { loadPolicies } from '../../src/policies/load.js';
import { getReporter } from '../../src/reporters/registry.js';
import { repoPath } from '../helpers.js';
import { fingerprint, fingerprintAfter, fingerprintOf, fingerprintPrefix } from '../../src/model/result.js';

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

describe('fingerprintOf', () => {
  it('computes what the engine leaves out, and the JSON and SARIF reports show it', async () => {
    const engine = await createEngine(await loadPolicies({ builtin: true }));
    const inputs = await loadInputs([repoPath('policies/images/tests/latest-tags.yaml')]);
    const result = await engine.evaluate(inputs.resources, { notices: inputs.notices });
    expect(result.findings.length).toBeGreaterThan(3);
    // The engine computes none: text reports and the webhook never read them.
    expect(result.findings.every((finding) => finding.fingerprint === undefined)).toBe(true);
    const expected = result.findings.map((f) => referenceFingerprint(f.policyId, f.resource.id, f.path));
    expect(result.findings.map(fingerprintOf)).toEqual(expected);
    const json = JSON.parse(getReporter('json').render(result, {})) as {
      findings: Array<{ fingerprint: string }>;
    };
    expect(json.findings.map((f) => f.fingerprint)).toEqual(expected);
    const sarif = JSON.parse(getReporter('sarif').render(result, {})) as {
      runs: Array<{ results: Array<{ partialFingerprints: Record<string, string> }> }>;
    };
    expect(sarif.runs[0]!.results.map((r) => r.partialFingerprints['parapetFingerprint/v1'])).toEqual(
      expected,
    );
    // One a finding already carries is kept.
    expect(fingerprintOf({ ...result.findings[0]!, fingerprint: 'given' })).toBe('given');
  });
});
