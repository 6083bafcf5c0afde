import { describe, expect, it } from 'vitest';
import { conftestOutcome, conftestRules } from '../../src/rego/conftest.js';
import { runCli } from '../helpers.js';
import { evaluateRego, findingLines } from './helpers.js';

const kubernetesPolicy = 'fixtures/rego/conftest-kubernetes/policy';
const terraformPolicy = 'fixtures/rego/conftest-terraform/policy';

describe('Conftest policy directories', () => {
  it('run deny, violation and warn rules over each Kubernetes document, with the Rego messages', async () => {
    const result = await evaluateRego({
      policies: [kubernetesPolicy],
      inputs: ['fixtures/rego/conftest-kubernetes/manifests'],
    });
    expect(findingLines(result)).toEqual([
      'fail conftest.main.deny Deployment/default/reports: Deployment/default/reports: container "reports" is privileged',
      'fail conftest.main.deny-missing-labels Deployment/default/reports: Deployment/reports is missing the required label app.kubernetes.io/owner',
      'fail conftest.main.deny-missing-limits Deployment/default/reports: Deployment/default/reports: container "reports" has no cpu limit',
      'fail conftest.main.deny-run-as-root Deployment/default/reports: Deployment/default/reports: container "migrate" may run as root; set securityContext.runAsNonRoot to true',
      'fail conftest.main.deny-run-as-root Deployment/default/reports: Deployment/default/reports: container "reports" may run as root; set securityContext.runAsNonRoot to true',
      'fail conftest.main.violation Deployment/default/reports: Deployment/reports is deployed to the default namespace',
      'warn conftest.main.warn Deployment/default/reports: Deployment/default/reports: container "reports" uses image registry.example.com/analytics/reports:latest without a pinned tag',
      'warn conftest.main.warn-replicas Deployment/default/reports: Deployment/default/reports: 1 replica(s) gives no redundancy',
      'fail conftest.main.violation Service/default/reports: Service/reports is deployed to the default namespace',
    ]);
    // Object results keep their metadata; the rule name travels along.
    const limits = result.findings.find(
      (finding) => finding.policyId === 'conftest.main.deny-missing-limits',
    );
    expect(limits?.details).toEqual({ rule: 'deny_missing_limits', container: 'reports', missing: ['cpu'] });
  });

  it('honours exception rules: the legacy CronJob is excepted from run_as_root and only from it', async () => {
    const result = await evaluateRego({
      policies: [kubernetesPolicy],
      inputs: ['fixtures/rego/conftest-kubernetes/manifests/cronjob-legacy.yaml'],
    });
    expect(findingLines(result)).toEqual([]);
    const evaluated = result.evaluated.get('CronJob/batch/nightly-export') ?? [];
    expect(evaluated).toContain('conftest.main.deny-run-as-root');
  });

  it('give a Terraform plan whole, as Conftest does, and report each result on the resource it names', async () => {
    const result = await evaluateRego({
      policies: [terraformPolicy],
      inputs: ['fixtures/rego/conftest-terraform/plans'],
    });
    expect(findingLines(result)).toEqual([
      'fail conftest.main.deny-missing-tags aws_s3_bucket.exports: aws_s3_bucket.exports is missing required tags: cost-center, owner',
      'fail conftest.main.deny-unencrypted-bucket aws_s3_bucket.exports: aws_s3_bucket.exports has no server-side encryption configuration',
      'fail conftest.main.deny-public-bucket-acl aws_s3_bucket_acl.exports: aws_s3_bucket_acl.exports grants the public-read canned ACL',
      'fail conftest.main.deny-open-ingress aws_security_group.bastion: aws_security_group.bastion allows ingress from 0.0.0.0/0 on port 22',
      'warn conftest.main.warn-instance-type aws_instance.trainer: aws_instance.trainer uses the expensive instance type p4d.24xlarge',
    ]);
    expect(result.findings.every((finding) => finding.resource.file.endsWith('plan-violations.json'))).toBe(
      true,
    );
  });

  it('run from the command line unchanged, with --namespace choosing the package', async () => {
    const run = await runCli([
      'check',
      '--no-builtin',
      '--policies',
      terraformPolicy,
      '--format',
      'json',
      'fixtures/rego/conftest-terraform/plans/plan-violations.json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as { findings: Array<{ policyId: string; message: string }> };
    expect(report.findings.map((finding) => finding.policyId)).toContain(
      'conftest.main.deny-public-bucket-acl',
    );

    const cost = await runCli([
      'check',
      '--no-builtin',
      '--policies',
      terraformPolicy,
      '--namespace',
      'cost',
      '--format',
      'json',
      'fixtures/rego/conftest-terraform/plans/plan-violations.json',
    ]);
    expect(cost.stderr).toBe('');
    const costReport = JSON.parse(cost.stdout) as {
      findings: Array<{ policyId: string; status: string; message: string }>;
    };
    expect(
      costReport.findings.map((finding) => `${finding.status} ${finding.policyId}: ${finding.message}`),
    ).toEqual(['warn conftest.cost.warn: plan creates 1 GPU instance(s): aws_instance.trainer']);
  });

  it('stops with exit 2 when a --namespace names a package the policies do not have', async () => {
    const run = await runCli([
      'check',
      '--no-builtin',
      '--policies',
      terraformPolicy,
      '--namespace',
      'main',
      '--namespace',
      'security',
      'fixtures/rego/conftest-terraform/plans/plan-violations.json',
    ]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toBe(
      'error: --namespace: "security" matches no Rego package with deny, violation or warn rules in the --policies directories',
    );
  });
});

describe('Conftest rule discovery and results', () => {
  it('finds rule heads of the namespace in both Rego syntaxes, not calls or comparisons', () => {
    const sources = [
      {
        path: 'a.rego',
        displayPath: 'a.rego',
        text: 'package main\n\ndeny[msg] {\n  msg := "x"\n}\nwarn_old contains msg if { msg := "y" }\ndeny_check := true\nhelper { deny_x == 1 }\n',
      },
      { path: 'b.rego', displayPath: 'b.rego', text: 'package other\n\ndeny contains "z"\n' },
    ];
    expect(conftestRules(sources, 'main')).toEqual(['deny', 'deny_check', 'warn_old']);
    expect(conftestRules(sources, 'other')).toEqual(['deny']);
  });

  it('applies exceptions by rule suffix and reports malformed results', () => {
    const outcome = conftestOutcome({
      deny_root: ['root user'],
      deny_ports: [{ msg: 'port 22 open', port: 22 }],
      warn: [42],
      exception: [['root']],
    });
    expect(outcome.results).toEqual([
      { kind: 'deny', rule: 'deny_ports', message: 'port 22 open', details: { port: 22 } },
    ]);
    expect(outcome.excepted.map((result) => result.rule)).toEqual(['deny_root']);
    expect(outcome.malformed).toEqual(['warn']);
  });
});
