import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findOpa } from '../../src/rego/compiler.js';
import { readSuite } from '../../src/rego/suite.js';
import { repoPath, runCli } from '../helpers.js';

const opa = findOpa();
if (!opa)
  console.warn(
    'opa is not installed: parapet verify tests that compile templates are skipped (run .ci/setup-opa.sh)',
  );

const suites = repoPath('fixtures/rego/gatekeeper-suites');
const matchSuite = join(suites, 'match-suite.yaml');
const inventorySuite = join(suites, 'inventory-suite.yaml');
const scratch = mkdtempSync(join(tmpdir(), 'parapet-verify-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A suite file in the scratch folder whose paths point into the fixtures. */
function suiteFile(name: string, body: string): string {
  const file = join(scratch, name);
  writeFileSync(file, body.replaceAll('FIXTURES', suites));
  return file;
}

const header = 'kind: Suite\napiVersion: test.gatekeeper.sh/v1alpha1\nmetadata:\n  name: t\n';

describe('Gatekeeper test suites (parapet verify)', () => {
  it('cover every match criterion with a Constraint of its own', () => {
    const names = readSuite(matchSuite).tests.map((test) => test.name);
    for (const criterion of [
      'kinds',
      'scope',
      'namespaces',
      'excluded-namespaces',
      'label-selector',
      'namespace-selector',
      'name',
    ])
      expect(names.some((name) => name.startsWith(criterion))).toBe(true);
  });

  it.skipIf(!opa)(
    'run the suites unchanged: one line per case and the summary',
    async () => {
      const run = await runCli(['verify', matchSuite, inventorySuite]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines.filter((line) => line.startsWith('  ok    '))).toHaveLength(51);
      expect(lines).toContain(
        '  ok    namespaces-default / a Deployment without metadata.namespace: a missing namespace cannot disqualify',
      );
      expect(lines).toContain("  ok    unique-ingress-host / both hosts taken by another team's Ingress");
      expect(lines.at(-1)).toBe('51 passed, 0 failed');
      // A directory runs the Suite files in it, in name order, as gator verify DIR does.
      const directory = await runCli(['verify', suites]);
      expect(directory.code).toBe(0);
      expect(directory.stdout.split('\n').filter((line) => line.startsWith(suites))).toEqual([
        inventorySuite,
        matchSuite,
      ]);
      expect(directory.stdout.trimEnd().split('\n').at(-1)).toBe('51 passed, 0 failed');
    },
    120_000,
  );

  it.skipIf(!opa)(
    'fail a case whose assertions do not hold, with exit 1 and the messages',
    async () => {
      const file = suiteFile(
        'wrong.yaml',
        `${header}tests:
  - name: owner
    template: FIXTURES/templates/k8sownerlabel.yaml
    constraint: FIXTURES/constraints/namespaces-prefix.yaml
    cases:
      - name: expects a match in payments
        object: FIXTURES/objects/deployment-payments.yaml
        assertions: [{ violations: "yes" }]
      - name: expects two
        object: FIXTURES/objects/deployment-kube-system.yaml
        assertions: [{ violations: 2 }]
      - name: wrong message
        object: FIXTURES/objects/deployment-kube-system.yaml
        assertions: [{ violations: 1, message: "(?i)MUST CARRY the label team" }]
      - name: skipped
        object: FIXTURES/objects/deployment-kube-system.yaml
        skip: true
        assertions: [{ violations: "no" }]
      - name: right
        object: FIXTURES/objects/deployment-kube-system.yaml
        assertions: [{ violations: 1, message: "(?i)MUST CARRY the label owner" }]
  - name: a namespaceSelector without the Namespace
    template: FIXTURES/templates/k8sownerlabel.yaml
    constraint: FIXTURES/constraints/namespace-selector.yaml
    cases:
      - name: no inventory
        object: FIXTURES/objects/deployment-payments.yaml
        assertions: [{ violations: "no" }]
`,
      );
      const run = await runCli(['verify', file]);
      expect(run.code).toBe(1);
      expect(run.stdout.split('\n')).toEqual([
        file,
        '  FAIL  owner / expects a match in payments: got 0 violations but want at least 1',
        '  FAIL  owner / expects two: got 1 violations but want exactly 2; got messages ["Deployment coredns must carry the label owner"]',
        '  FAIL  owner / wrong message: got 0 violations containing "(?i)MUST CARRY the label team" but want exactly 1; got messages ["Deployment coredns must carry the label owner"]',
        '  skip  owner / skipped',
        '  ok    owner / right',
        '  FAIL  a namespaceSelector without the Namespace / no inventory: review failed: K8sOwnerLabel namespace-selector: the namespaceSelector needs the labels of namespace payments, which is not among the inputs',
        '',
        '1 passed, 4 failed, 1 skipped',
        '',
      ]);
    },
    120_000,
  );

  it.each([
    [
      'not a Suite',
      'kind: Pod\napiVersion: v1\n',
      'expected one kind: Suite document (apiVersion test.gatekeeper.sh/v1alpha1), found 0',
    ],
    ['no template', `${header}tests:\n  - constraint: c.yaml\n`, 'tests[0].template is required'],
    [
      'no assertions',
      `${header}tests:\n  - template: t.yaml\n    constraint: c.yaml\n    cases:\n      - object: o.yaml\n`,
      'tests[0].cases[0].assertions must be a non-empty list',
    ],
    [
      'a bad count',
      `${header}tests:\n  - template: t.yaml\n    constraint: c.yaml\n    cases:\n      - object: o.yaml\n        assertions: [{ violations: maybe }]\n`,
      'tests[0].cases[0].assertions[0].violations must be a nonnegative integer, "yes", or "no"',
    ],
    [
      'a bad regular expression',
      `${header}tests:\n  - template: t.yaml\n    constraint: c.yaml\n    cases:\n      - object: o.yaml\n        assertions: [{ message: "([" }]\n`,
      'tests[0].cases[0].assertions[0].message is not a valid regular expression',
    ],
  ])('refuse %s with exit 2 and one line naming the file', async (name, body, problem) => {
    const file = suiteFile(`${name.replace(/\W/g, '-')}.yaml`, body);
    const run = await runCli(['verify', file]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`error: ${file}: ${problem}`);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('refuse a missing template or object file with exit 2', async () => {
    const file = suiteFile(
      'missing.yaml',
      `${header}tests:\n  - template: FIXTURES/templates/nope.yaml\n    constraint: FIXTURES/constraints/scope-cluster.yaml\n    cases:\n      - object: FIXTURES/objects/clusterrole.yaml\n        assertions: [{ violations: "no" }]\n`,
    );
    const run = await runCli(['verify', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^error: ${join(suites, 'templates/nope.yaml')}: cannot read`));
  });
});
