import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';

interface JsonReport {
  summary: { byStatus: Record<string, number> };
  findings: Array<{
    policyId: string;
    status: string;
    path: string;
    resource: { id: string; line: number };
    unknownPaths?: string[];
    approval?: { policy: string; resource: string; by: string };
  }>;
  notices: Array<{ code: string; message: string }>;
}

const terraformOnly = ['--no-builtin', '--policies', 'policies/terraform'];

async function check(
  args: string[],
  stdin?: string,
): Promise<{ code: number; report: JsonReport; stderr: string }> {
  const run = await runCli(['check', ...terraformOnly, '-f', 'json', ...args], { stdin });
  return {
    code: run.code,
    report: run.stdout ? (JSON.parse(run.stdout) as JsonReport) : ({} as JsonReport),
    stderr: run.stderr,
  };
}

function statuses(report: JsonReport, policyId: string): Array<[string, string]> {
  return report.findings.filter((f) => f.policyId === policyId).map((f) => [f.resource.id, f.status]);
}

describe('parapet check on Terraform plans', () => {
  it('reports real findings on the README plan and exits 1', async () => {
    const { code, report } = await check(['fixtures/terraform/plan.json']);
    expect(code).toBe(1);
    expect(statuses(report, 'tf-destroy-protected')).toEqual([['aws_db_instance.orders', 'fail']]);
    expect(statuses(report, 'aws-sg-open-ingress')).toEqual([
      ['aws_security_group.admin', 'fail'],
      ['aws_vpc_security_group_ingress_rule.partner_ssh', 'unknown'],
    ]);
    const unknown = report.findings.find((f) => f.status === 'unknown');
    expect(unknown?.unknownPaths).toEqual(['/cidr_ipv4']);
  });

  it('reads a plan from stdin', async () => {
    const { code, report } = await check(['-'], readFileSync('fixtures/terraform/plan.json', 'utf8'));
    expect(code).toBe(1);
    expect(statuses(report, 'tf-destroy-protected')).toEqual([['aws_db_instance.orders', 'fail']]);
  });

  it('never fails on a value unknown until apply; --unknown decides how unknowns gate', async () => {
    const plan = 'policies/terraform/aws/network/tests/sg-cidr-unknown.json';
    const warn = await check([plan]);
    expect(statuses(warn.report, 'aws-sg-open-ingress')).toEqual([
      ['aws_security_group_rule.ssh_from_nat', 'unknown'],
    ]);
    expect(warn.code).toBe(0);
    expect((await check([plan, '--unknown', 'fail'])).code).toBe(1);
    expect((await check([plan, '--unknown', 'pass'])).code).toBe(0);
    const bad = await runCli(['check', ...terraformOnly, plan, '--unknown', 'maybe']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('error: --unknown: "maybe" is not fail, warn or pass\n');
  });

  it('turns an approved destroy into an approved finding that the report still shows', async () => {
    const { code, report } = await check([
      'policies/terraform/changes/tests/destroy-prod.json',
      '--select',
      'tf-destroy-protected',
      '--approve',
      'tf-destroy-protected:aws_db_instance.orders',
      '--approve',
      'tf-destroy-protected:aws_route53_zone.*',
      '--approve',
      'tf-destroy-protected:aws_instance.api["blue"]',
    ]);
    expect(code).toBe(0);
    expect(report.findings.map((f) => [f.resource.id, f.status, f.approval?.by])).toEqual([
      ['aws_db_instance.orders', 'approved', 'command line (--approve)'],
      ['aws_route53_zone.internal', 'approved', 'command line (--approve)'],
      ['aws_instance.api["blue"]', 'approved', 'command line (--approve)'],
    ]);
    const partly = await check([
      'policies/terraform/changes/tests/destroy-prod.json',
      '--select',
      'tf-destroy-protected',
      '--approve',
      'tf-destroy-protected:aws_db_instance.order',
    ]);
    expect(partly.code).toBe(1);
    expect(partly.report.notices.map((n) => n.code)).toContain('approval-unused');
  });

  it('scans modules three deep and resolves relations across them', async () => {
    const { report } = await check(['fixtures/terraform/modules-deep.json']);
    const ids = (policyId: string) =>
      report.findings.filter((f) => f.policyId === policyId).map((f) => f.resource.id);
    // Both buckets are encrypted and versioned by resources two modules further down.
    expect(ids('aws-s3-encryption')).toEqual(['module.dr.aws_s3_bucket.replica']);
    expect(ids('aws-s3-versioning')).toEqual(['module.dr.aws_s3_bucket.replica']);
    // Only the logs bucket has a public access block (at the root, through two module outputs).
    expect(ids('aws-s3-public-access-block')).toEqual([
      'module.platform.module.storage["assets"].aws_s3_bucket.this',
      'module.dr.aws_s3_bucket.replica',
    ]);
    expect(statuses(report, 'aws-sg-open-ingress')).toEqual([
      ['module.platform.module.network.aws_vpc_security_group_ingress_rule.admin["ssh"]', 'fail'],
    ]);
  });

  it.each([
    [
      'fixtures/terraform/invalid/truncated.json',
      /^error: fixtures\/terraform\/invalid\/truncated\.json:\d+:\d+: invalid JSON: /,
    ],
    [
      'fixtures/terraform/invalid/state.json',
      /^error: fixtures\/terraform\/invalid\/state\.json: a Terraform state, not a plan; /,
    ],
    [
      'fixtures/terraform/invalid/format-2.json',
      /^error: fixtures\/terraform\/invalid\/format-2\.json: unsupported Terraform plan format_version "2\.0"/,
    ],
    [
      'fixtures/terraform/invalid/bad-action.json',
      /^error: fixtures\/terraform\/invalid\/bad-action\.json: resource_changes\[0\] \(aws_s3_bucket\.logs\) has an unknown action "obliterate"/,
    ],
  ])('%s: one-line error naming the file, exit 2', async (file, message) => {
    const run = await runCli(['check', ...terraformOnly, file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
