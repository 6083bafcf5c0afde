import { describe, expect, it } from 'vitest';
import { annotationWaivers, applyWaivers, waiverExpired } from '../../src/engine/waivers.js';
import type { Finding, Waiver } from '../../src/model/finding.js';
import type { Resource } from '../../src/model/resource.js';
import type { Notice } from '../../src/model/result.js';
import { fingerprint } from '../../src/model/result.js';

const now = new Date('2026-03-02T09:30:00Z');

function finding(
  policyId: string,
  resourceId: string,
  file: string,
  status: Finding['status'] = 'fail',
): Finding {
  return {
    policyId,
    severity: 'high',
    status,
    mode: 'enforce',
    message: `${policyId} on ${resourceId}`,
    path: '',
    resource: { id: resourceId, kind: 'x', source: 'terraform', file, line: 1 },
    fingerprint: fingerprint(policyId, resourceId, ''),
  };
}

const waiver = (extra: Partial<Waiver>): Waiver => ({
  policy: '*',
  resource: '*',
  reason: 'accepted',
  owner: 'team-a',
  expires: '2026-12-31',
  origin: 'parapet.yaml',
  ...extra,
});

describe('waivers', () => {
  it('apply through the end of the expiry day, UTC', () => {
    expect(waiverExpired(waiver({ expires: '2026-03-02' }), now)).toBe(false);
    expect(waiverExpired(waiver({ expires: '2026-03-01' }), now)).toBe(true);
    expect(waiverExpired(waiver({ expires: 'soon' }), now)).toBe(true);
  });

  it('match Terraform addresses with brackets and files given with ./', () => {
    const findings = [
      finding('tf-s3-versioning', 'module.logs.aws_s3_bucket.this["audit"]', './infra/plan.json'),
      finding('tf-s3-versioning', 'module.logs.aws_s3_bucket.this["app"]', './infra/plan.json'),
      finding('tf-s3-versioning', 'aws_s3_bucket.other', 'other/plan.json'),
    ];
    const notices: Notice[] = [];
    applyWaivers(
      findings,
      [
        waiver({
          policy: 'tf-s3-*',
          resource: 'module.logs.aws_s3_bucket.this\\["audit"\\]',
          file: 'infra/*.json',
        }),
      ],
      now,
      notices,
    );
    expect(findings.map((f) => f.status)).toEqual(['waived', 'fail', 'fail']);
    expect(notices).toEqual([]);
  });

  it('never waive approved or error findings, and the first live waiver wins', () => {
    const findings = [
      finding('a', 'r', 'f', 'approved'),
      finding('a', 'r', 'f', 'error'),
      finding('a', 'r', 'f', 'unknown'),
    ];
    const first = waiver({ owner: 'first' });
    applyWaivers(findings, [first, waiver({ owner: 'second' })], now, []);
    expect(findings.map((f) => f.status)).toEqual(['approved', 'error', 'waived']);
    expect(findings[2]?.waiver).toBe(first);
  });

  it('report an expired waiver that matched nothing as expired, not stale', () => {
    const notices: Notice[] = [];
    applyWaivers([], [waiver({ policy: 'x', resource: 'y', expires: '2025-12-31' })], now, notices);
    expect(notices.map((n) => `${n.level} ${n.code}: ${n.message}`)).toEqual([
      'warning waiver-expired: waiver for x on y (owner team-a, parapet.yaml) expired on 2025-12-31; remove it',
    ]);
  });

  it('read annotation waivers line by line, warn about malformed ones, scope them to their object', () => {
    const resource = {
      source: 'kubernetes',
      kind: 'Deployment',
      id: 'Deployment/ml/trainer[gpu]',
      name: 'trainer[gpu]',
      namespace: 'ml',
      labels: {},
      location: { file: 'k8s/ml.yaml', line: 4 },
      body: {
        metadata: {
          annotations: {
            'parapet.dev/waive':
              'pss-baseline-privileged: needs /dev/nvidia*\nno reason given here\npss-*-host-path: model cache on local NVMe',
          },
        },
      },
      facts: {},
    } as Resource;
    const notices: Notice[] = [];
    const waivers = annotationWaivers([resource], notices);
    expect(waivers.map((w) => [w.policy, w.reason, w.owner, w.expires, w.origin])).toEqual([
      ['pss-baseline-privileged', 'needs /dev/nvidia*', 'unowned', '', 'annotation'],
      ['pss-*-host-path', 'model cache on local NVMe', 'unowned', '', 'annotation'],
    ]);
    expect(notices.map((n) => n.message)).toEqual([
      'k8s/ml.yaml:4: Deployment/ml/trainer[gpu]: annotation parapet.dev/waive line "no reason given here" is not "<policy>: <reason>"; ignored',
    ]);
    // Without an expiry annotation the waiver does not expire; it covers only this object.
    const findings = [
      finding('pss-baseline-privileged', 'Deployment/ml/trainer[gpu]', 'k8s/ml.yaml'),
      finding('pss-baseline-privileged', 'Deployment/ml/trainerg', 'k8s/ml.yaml'),
    ];
    applyWaivers(findings, [], now, [], { resources: [resource], allowAnnotations: true });
    expect(findings.map((f) => f.status)).toEqual(['waived', 'fail']);
  });
});
