import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath, runCli } from '../helpers.js';

const policies = repoPath('fixtures/vap/policies');
const cases = repoPath('fixtures/vap/cases');

function policyDir(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'parapet-vap-'));
  writeFileSync(path.join(dir, 'policy.yaml'), text);
  return dir;
}

const policy = (expression: string, extra = '') => `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: p
spec:
  matchConstraints:
    resourceRules:
      - apiGroups: [""]
        apiVersions: ["v1"]
        operations: ["CREATE"]
        resources: ["configmaps"]
  validations:
    - expression: ${JSON.stringify(expression)}
${extra}`;

describe('ValidatingAdmissionPolicy files', () => {
  it('reports a denial with the API server text, and exits 1', async () => {
    const run = await runCli([
      'check',
      '--no-builtin',
      '--policies',
      policies,
      path.join(cases, 'deployment-replicas.fail.yaml'),
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      "ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit' denied request: replicas 8 exceed the limit of 5",
    );
  });

  it('loads a policy without a binding as inactive, with one notice', async () => {
    const run = await runCli([
      'check',
      '--no-builtin',
      '--policies',
      policies,
      '-f',
      'json',
      path.join(cases, 'configmap-tier.pass.yaml'),
    ]);
    const report = JSON.parse(run.stdout) as {
      findings: unknown[];
      notices: Array<{ code: string; message: string }>;
    };
    expect(report.findings).toEqual([]);
    expect(report.notices.filter((n) => n.code === 'vap-unbound')).toHaveLength(1);
    expect(report.notices[0]!.message).toContain(
      'ValidatingAdmissionPolicy unbound-policy has no ValidatingAdmissionPolicyBinding',
    );
  });

  it('refuses an expression that does not compile, naming the file and the field (exit 2)', async () => {
    const dir = policyDir(
      policy(
        'objekt.data.x == 1',
        '---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {name: b}\nspec: {policyName: p, validationActions: [Deny]}\n',
      ),
    );
    const run = await runCli([
      'check',
      '--no-builtin',
      '--policies',
      dir,
      path.join(cases, 'configmap-tier.pass.yaml'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `${path.join(dir, 'policy.yaml')}: ValidatingAdmissionPolicy p spec.validations[0].expression: compilation failed: undeclared reference to 'objekt'`,
    );
  });

  it('refuses a binding the API server would refuse (exit 2)', async () => {
    const dir = policyDir(
      policy(
        'true',
        '---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {name: b}\nspec: {policyName: p, validationActions: [Deny, Warn]}\n',
      ),
    );
    const run = await runCli([
      'check',
      '--no-builtin',
      '--policies',
      dir,
      path.join(cases, 'configmap-tier.pass.yaml'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('may not contain both "Deny" and "Warn"');
  });
});
