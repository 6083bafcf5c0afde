import { describe, expect, it } from 'vitest';
import { applyApprovals, parseApproval } from '../../src/engine/approvals.js';
import type { Finding } from '../../src/model/finding.js';
import type { Notice } from '../../src/model/result.js';

function finding(policyId: string, resourceId: string, status: Finding['status'] = 'fail'): Finding {
  return {
    policyId,
    severity: 'critical',
    status,
    mode: 'enforce',
    message: 'plan destroys it',
    path: '',
    resource: { id: resourceId, kind: 'aws_db_instance', source: 'terraform', file: 'plan.json', line: 1 },
    fingerprint: `${policyId}:${resourceId}`,
  };
}

describe('parseApproval', () => {
  it('splits at the first colon: addresses may hold colons', () => {
    expect(parseApproval('tf-destroy-protected:module.db["eu:west"].aws_db_instance.main')).toEqual({
      policy: 'tf-destroy-protected',
      resource: 'module.db["eu:west"].aws_db_instance.main',
      by: 'command line (--approve)',
    });
  });

  it.each(['tf-destroy-protected', ':aws_db_instance.main', 'tf-destroy-protected:'])(
    'rejects %s with a usage error',
    (spec) => {
      expect(() => parseApproval(spec)).toThrow(`--approve: "${spec}" is not POLICY:ADDRESS`);
    },
  );
});

describe('applyApprovals', () => {
  it('matches Terraform addresses literally (brackets are not glob classes) and * as a wildcard', () => {
    const findings = [
      finding('tf-destroy-protected', 'aws_db_instance.main[0]'),
      finding('tf-destroy-protected', 'aws_db_instance.main0'),
      finding('tf-destroy-protected', 'module.db["eu"].aws_db_instance.main'),
      finding('tf-replace-stateful', 'module.db["eu"].aws_db_instance.main'),
      finding('tf-destroy-protected', 'aws_s3_bucket.logs', 'error'),
    ];
    const notices: Notice[] = [];
    applyApprovals(
      findings,
      [
        { policy: 'tf-destroy-protected', resource: 'aws_db_instance.main[0]', by: 'alice (CHG-1042)' },
        { policy: 'tf-*', resource: 'module.db["eu"].*', by: 'bob' },
        { policy: 'tf-destroy-protected', resource: 'aws_s3_bucket.logs', by: 'carol' },
      ],
      notices,
    );
    expect(findings.map((f) => [f.resource.id, f.policyId, f.status, f.approval?.by])).toEqual([
      ['aws_db_instance.main[0]', 'tf-destroy-protected', 'approved', 'alice (CHG-1042)'],
      ['aws_db_instance.main0', 'tf-destroy-protected', 'fail', undefined],
      ['module.db["eu"].aws_db_instance.main', 'tf-destroy-protected', 'approved', 'bob'],
      ['module.db["eu"].aws_db_instance.main', 'tf-replace-stateful', 'approved', 'bob'],
      // A policy that could not be evaluated is not something anyone can approve.
      ['aws_s3_bucket.logs', 'tf-destroy-protected', 'error', undefined],
    ]);
    expect(notices).toEqual([
      {
        level: 'warning',
        code: 'approval-unused',
        message: 'approval tf-destroy-protected:aws_s3_bucket.logs (carol) matches no finding',
      },
    ]);
  });
});
