import { mkdtempSync, writeFileSync, readFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath, runCli } from '../helpers.js';

const policies = repoPath('fixtures', 'kyverno', 'pss-baseline');
const manifests = repoPath('fixtures', 'kyverno', 'manifests', 'workloads.yaml');

describe('Kyverno policies with parapet check', () => {
  it('reports each validate rule as POLICY/RULE, autogen rules included, and fails on Enforce', async () => {
    const run = await runCli([
      'check',
      '--no-builtin',
      '--policies',
      policies,
      '--format',
      'json',
      manifests,
    ]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as {
      findings: Array<{ policyId: string; resource: { id: string }; path: string }>;
    };
    const found = report.findings.map((f) => `${f.policyId} ${f.resource.id} ${f.path}`).sort();
    expect(found).toEqual([
      'disallow-capabilities/adding-capabilities Pod/shop/privileged-debug ',
      'disallow-host-namespaces/autogen-host-namespaces DaemonSet/kube-system/node-agent /spec/template/spec/hostNetwork',
      'disallow-host-path/autogen-host-path DaemonSet/kube-system/node-agent /spec/template/spec/volumes/0/hostPath',
      'disallow-privileged-containers/autogen-privileged-containers DaemonSet/kube-system/node-agent /spec/template/spec/containers/0/securityContext/privileged',
      'disallow-privileged-containers/privileged-containers Pod/shop/privileged-debug /spec/containers/0/securityContext/privileged',
      'restrict-seccomp/autogen-cronjob-check-seccomp CronJob/shop/nightly-report /spec/jobTemplate/spec/template/spec/securityContext/seccompProfile/type',
    ]);
  });

  it('renders messages as Kyverno does', async () => {
    const run = await runCli([
      'check',
      '--no-builtin',
      '--policies',
      policies,
      '--format',
      'json',
      manifests,
    ]);
    const report = JSON.parse(run.stdout) as { findings: Array<{ policyId: string; message: string }> };
    const privileged = report.findings.find(
      (f) => f.policyId === 'disallow-privileged-containers/privileged-containers',
    );
    expect(privileged?.message).toBe(
      'validation error: Privileged mode is disallowed. The fields spec.containers[*].securityContext.privileged and spec.initContainers[*].securityContext.privileged must be unset or set to `false`. rule privileged-containers failed at path /spec/containers/0/securityContext/privileged/',
    );
  });

  it('lists mutate and generate rules as unsupported, once each, and runs the validate rules beside them', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-kyverno-'));
    writeFileSync(
      path.join(dir, 'mixed.yaml'),
      `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: mixed
spec:
  validationFailureAction: Audit
  rules:
    - name: add-label
      match: { any: [{ resources: { kinds: [Pod] } }] }
      mutate:
        patchStrategicMerge:
          metadata:
            labels:
              team: platform
    - name: require-team
      match: { any: [{ resources: { kinds: [Pod] } }] }
      validate:
        message: "label team is required on {{ request.object.metadata.name }}"
        pattern:
          metadata:
            labels:
              team: "?*"
`,
    );
    const run = await runCli(['check', '--no-builtin', '--policies', dir, '--format', 'json', manifests]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      findings: Array<{ policyId: string; status: string; message: string; resource: { id: string } }>;
      notices: Array<{ code: string; message: string }>;
    };
    const unsupported = report.notices.filter((n) => n.code === 'kyverno-unsupported');
    expect(unsupported.map((n) => n.message)).toEqual([
      `${path.join(dir, 'mixed.yaml')}: ClusterPolicy mixed rule add-label: mutate rules are not supported; it is not evaluated`,
    ]);
    const audit = report.findings.find((f) => f.resource.id === 'Pod/shop/privileged-debug');
    expect(audit).toMatchObject({ policyId: 'mixed/require-team', status: 'audit' });
    expect(audit?.message).toBe(
      'validation error: label team is required on privileged-debug. rule require-team failed at path /metadata/labels/',
    );
  });
});

describe('kyverno test files through parapet test', () => {
  it('passes when every result agrees', async () => {
    const run = await runCli(['test', policies]);
    expect(run.stdout).toContain('10 passed, 0 failed');
    expect(run.code).toBe(0);
  });

  it('exits 1 and names the result that differs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-kyverno-test-'));
    cpSync(repoPath('fixtures', 'kyverno'), dir, { recursive: true });
    const testFile = path.join(dir, 'pss-baseline', 'kyverno-test.yaml');
    writeFileSync(
      testFile,
      readFileSync(testFile, 'utf8').replace(
        'kind: Deployment\n    resources: [shop/web]\n    result: pass',
        'kind: Deployment\n    resources: [shop/web]\n    result: fail',
      ),
    );
    const run = await runCli(['test', path.join(dir, 'pss-baseline')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      "disallow-privileged-containers/autogen-privileged-containers Deployment/shop/web: want fail, got pass: validation rule 'autogen-privileged-containers' passed.",
    );
    expect(run.stdout).toContain('9 passed, 1 failed');
  });
});
