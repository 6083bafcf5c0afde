import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The built CLI (npm test builds first) reads the built-in library from dist/library/, written by
// the build; PARAPET_NO_PRECOMPILED makes it parse the YAML and compile the schemas instead.
const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'dist/cli/main.js');

/** Run the built CLI without blocking the test worker (a policy-test run takes seconds). */
function run(
  args: string[],
  env: Record<string, string> = {},
  script = cli,
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script, ...args],
      { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 64 << 20 },
      (error, stdout, stderr) =>
        resolve({ status: error ? Number((error as { code?: number }).code) : 0, stdout, stderr }),
    );
  });
}

const inputs = [
  'fixtures/kubernetes',
  'fixtures/terraform/plan.json',
  'fixtures/terraform/modules-deep.json',
  'fixtures/terraform/replace-delete.json',
  'fixtures/terraform/moved.json',
  'fixtures/cost',
  'fixtures/admission/manifests',
];

describe('the precompiled built-in library', { timeout: 180_000 }, () => {
  it('is what the build wrote', () => {
    const library = JSON.parse(readFileSync(path.join(root, 'dist/library/policies.json'), 'utf8')) as {
      policies: Array<{ id: string; rule: Record<string, unknown>; requiresParameters?: string[] }>;
    };
    expect(library.policies.length).toBeGreaterThan(50);
    // Every schema rule's policy has its validators, first-error and all-errors, in files of its own
    // (but those inactive until configured: their schemas depend on the configured values).
    const schemaPolicies = library.policies.filter(
      (policy) => 'schema' in policy.rule && policy.requiresParameters === undefined,
    );
    expect(schemaPolicies.length).toBeGreaterThan(50);
    for (const policy of schemaPolicies)
      for (const mode of ['first-error', 'all-errors'])
        expect(
          readFileSync(path.join(root, `dist/library/validators/${policy.id}.${mode}.cjs`), 'utf8'),
        ).toContain('module.exports = function');
  });

  it('passes the policy tests exactly as the library compiled from YAML does', async () => {
    const [precompiled, fromYaml] = await Promise.all([
      run(['test', 'policies']),
      run(['test', 'policies'], { PARAPET_NO_PRECOMPILED: '1' }),
    ]);
    expect(precompiled.status).toBe(0);
    expect(precompiled.stdout).toBe(fromYaml.stdout);
    expect(precompiled.stdout).toMatch(/\d+ passed, 0 failed/);
    // Every case of the whole library, twice, beside the other test files on a shared machine.
  }, 600_000);

  it('gives the same findings on the fixtures, byte for byte, in every severity and status', async () => {
    const [precompiled, fromYaml] = await Promise.all([
      run(['check', ...inputs, '-f', 'json']),
      run(['check', ...inputs, '-f', 'json'], { PARAPET_NO_PRECOMPILED: '1' }),
    ]);
    expect(precompiled.status).toBe(1);
    expect(precompiled.stderr).toBe(fromYaml.stderr);
    expect(precompiled.stdout).toBe(fromYaml.stdout);
    const summary = (JSON.parse(precompiled.stdout) as { summary: { findings: number } }).summary;
    expect(summary.findings).toBeGreaterThan(200);
  });

  it('answers configured parameters and user policies beside the precompiled validators', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-params-'));
    try {
      const config = path.join(dir, 'parapet.yaml');
      // A repository's configuration may only name paths inside its own tree.
      cpSync(path.join(root, 'fixtures/engine/policies'), path.join(dir, 'policies'), { recursive: true });
      writeFileSync(
        config,
        [
          'version: 1',
          'policies: { paths: [policies] }',
          "parameters: { image-allowed-registries: { allowed: ['registry.example.com/shop/**'] } }",
        ].join('\n'),
      );
      const args = ['check', 'fixtures/kubernetes', '--config', config, '-f', 'json'];
      const [precompiled, fromYaml] = await Promise.all([
        run(args),
        run(args, { PARAPET_NO_PRECOMPILED: '1' }),
      ]);
      expect(precompiled.stderr).toBe('');
      const findings = (JSON.parse(precompiled.stdout) as { findings: Array<{ policyId: string }> }).findings;
      const ids = new Set(findings.map((finding) => finding.policyId));
      expect(ids).toContain('image-allowed-registries');
      // The user policies of fixtures/engine/policies are all named demo-*.
      expect([...ids].some((id) => id.startsWith('demo-'))).toBe(true);
      expect(precompiled.stdout).toBe(fromYaml.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('in a copy of the package whose policies change after the build', () => {
    const copy = mkdtempSync(path.join(tmpdir(), 'parapet-stale-'));
    afterAll(() => rmSync(copy, { recursive: true, force: true }));
    cpSync(path.join(root, 'dist'), path.join(copy, 'dist'), { recursive: true });
    cpSync(path.join(root, 'policies'), path.join(copy, 'policies'), { recursive: true });
    cpSync(path.join(root, 'package.json'), path.join(copy, 'package.json'));
    symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'));
    const copiedCli = path.join(copy, 'dist/cli/main.js');
    const policyFile = path.join(copy, 'policies/kubernetes/best-practices/k8s-image-tag.yaml');
    const libraryModule = JSON.stringify(path.join(copy, 'dist/policies/library.js'));
    const probe = `const { precompiledBuiltinPolicies } = await import(${libraryModule});
      console.log(precompiledBuiltinPolicies() === undefined ? 'stale' : 'current');`;
    /** Whether the copy's loader takes its precompiled library. */
    const loaded = async () => (await run(['-e', probe], {}, '--input-type=module')).stdout.trim();
    const imageTagMessages = async () => {
      const out = await run(
        ['check', path.join(root, 'fixtures/kubernetes'), '--select', 'k8s-image-tag', '-f', 'json'],
        {},
        copiedCli,
      );
      return (JSON.parse(out.stdout) as { findings: Array<{ message: string }> }).findings.map(
        (f) => f.message,
      );
    };

    it('uses the precompiled library while the policy files are those it was built from', async () => {
      expect(await loaded()).toBe('current');
      expect((await imageTagMessages()).length).toBeGreaterThan(0);
    });

    it('notices a changed policy file and reads the YAML instead', async () => {
      const text = readFileSync(policyFile, 'utf8');
      expect(text).toMatch(/^message: /m);
      writeFileSync(policyFile, text.replace(/^message: .*$/m, 'message: "stale-check {{ resource.id }}"'));
      expect(await loaded()).toBe('stale');
      const messages = await imageTagMessages();
      expect(messages.length).toBeGreaterThan(0);
      for (const message of messages) expect(message).toMatch(/^stale-check /);
    });
  });
});
