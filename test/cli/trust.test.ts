import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoPath, runCli } from '../helpers.js';

// A repository under review (an untrusted pull request) controls parapet.yaml and its policy
// files: neither may make parapet run a program or read files outside the repository.
const shop = 'fixtures/engine/inputs/shop.yaml';
const untrusted = 'fixtures/gate/untrusted';
const scratch = mkdtempSync(path.join(tmpdir(), 'parapet-trust-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('repository configuration', () => {
  it('cannot choose the opa binary: the script it names never runs', async () => {
    const marker = path.join(scratch, 'opa-ran');
    const { code, stdout, stderr } = await runCli(['check', shop, '--config', `${untrusted}/parapet.yaml`], {
      env: { PARAPET_TEST_MARKER: marker },
    });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `error: ${untrusted}/parapet.yaml:3:3: rego.opa: only the CI job may set this (in a --trusted-config file, or PARAPET_OPA): a repository's configuration cannot choose a program to run or a credential to read\n`,
    );
    expect(existsSync(marker)).toBe(false);
  });

  it.each([
    ['rego:\n  cacheDir: /tmp/elsewhere\n', 'rego.cacheDir: only the CI job may set this'],
    [
      'images:\n  dockerConfig: /root/.docker/config.json\n',
      'images.dockerConfig: only the CI job may set this',
    ],
    ['policies:\n  paths: [../outside]\n', 'policies.paths[0]: "../outside" is outside'],
    ['cost:\n  pricing: [/etc/passwd]\n', 'cost.pricing[0]: "/etc/passwd" is outside'],
    ['images:\n  knownExploited: ../../kev.json\n', 'images.knownExploited: "../../kev.json" is outside'],
  ])('refuses %j', async (yaml, message) => {
    const dir = mkdtempSync(path.join(scratch, 'repo-'));
    writeFileSync(path.join(dir, 'parapet.yaml'), yaml);
    const { code, stderr } = await runCli(['check', shop, '--config', path.join(dir, 'parapet.yaml')]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('reads paths inside its own tree', async () => {
    const { code, stdout } = await runCli(['policies', '--config', `${untrusted}/parapet-inside.yaml`]);
    expect(code).toBe(0);
    expect(stdout).toContain('repo-read-secrets');
  });
});

describe('--trusted-config', () => {
  it('may set what the repository may not, and wins over the repository', async () => {
    const trusted = path.join(scratch, 'ci.yaml');
    writeFileSync(
      trusted,
      `rego:\n  opa: ${repoPath(untrusted, 'tools/opa')}\npolicies:\n  paths: [${repoPath('fixtures/engine/policies')}]\n  builtin: false\n`,
    );
    const { code, stdout } = await runCli([
      'check',
      shop,
      '--config',
      `${untrusted}/parapet-inside.yaml`,
      '--trusted-config',
      trusted,
    ]);
    // The pipeline's policy list replaces the repository's; the demo policies find 5 failures.
    expect(code).toBe(1);
    expect(stdout).toMatch(/9 resources checked against 4 policies: 5 failed\n$/);
  });
});

describe('policy files', () => {
  it('cannot read data outside the policy directory', async () => {
    const { code, stderr } = await runCli([
      'check',
      shop,
      '--no-builtin',
      '--policies',
      `${untrusted}/policies`,
    ]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `error: ${untrusted}/policies/read-secrets.yaml: rule.data: "../../../../../../../../etc/hostname" is outside the policy's directory; a policy reads only files beside it or below it\n`,
    );
  });
});
