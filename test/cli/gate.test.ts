import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoPath, runCli } from '../helpers.js';

// The CI gate never passes silently: each case here is a way a run used to exit 0 (or die without
// a report) while checking nothing or hiding findings.
const demo = ['--no-builtin', '--policies', 'fixtures/engine/policies'];
const shop = 'fixtures/engine/inputs/shop.yaml';
const scratch = mkdtempSync(path.join(tmpdir(), 'parapet-gate-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('a run that checks nothing fails', () => {
  it('empty standard input (a failed `terraform show` before the pipe) exits 2', async () => {
    const { code, stdout, stderr } = await runCli(['check', '-', ...demo, '--format', 'json'], { stdin: '' });
    expect(code).toBe(2);
    expect(stderr).toBe('error: -: standard input is empty (did the command before the pipe fail?)\n');
    expect(JSON.parse(stdout).notices).toContainEqual({
      level: 'error',
      code: 'PARAPET_INPUT_EMPTY',
      file: '-',
      message: '-: standard input is empty (did the command before the pipe fail?)',
    });
  });

  it('--allow-empty lets a pipeline accept an empty run', async () => {
    const { code, stdout } = await runCli(['check', '-', ...demo, '--allow-empty'], { stdin: '\n' });
    expect(code).toBe(0);
    expect(stdout).toBe('0 resources checked against 4 policies: no findings\n');
  });

  it('a named empty YAML file exits 2, as an empty JSON file does', async () => {
    for (const file of ['fixtures/gate/empty.yaml']) {
      const { code, stdout } = await runCli(['check', file, ...demo]);
      expect(code).toBe(2);
      expect(stdout).toContain(`error: ${file}: the file holds no YAML document\n`);
    }
  });

  it('a named YAML file that is not Kubernetes exits 2 with the reason and line', async () => {
    const { code, stdout } = await runCli([
      'check',
      'fixtures/gate/not-kubernetes.yaml',
      ...demo,
      '-f',
      'json',
    ]);
    expect(code).toBe(2);
    expect(JSON.parse(stdout).notices[0]).toMatchObject({
      level: 'error',
      file: 'fixtures/gate/not-kubernetes.yaml',
      line: 2,
      message: expect.stringMatching(/^fixtures\/gate\/not-kubernetes\.yaml: not a recognised input/),
    });
  });

  it('a directory with nothing to check exits 2 with a one-line reason', async () => {
    const { code, stdout, stderr } = await runCli(['check', 'fixtures/gate/repo/state', ...demo]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'error: nothing to check: no Kubernetes, Terraform or AdmissionReview resource in fixtures/gate/repo/state; fixtures/gate/repo/state/show-state.json: skipped: a Terraform state, not a plan; check the plan instead: terraform show -json PLANFILE (and 1 more skipped) (pass --allow-empty if an empty run should pass)\n',
    );
  });

  it.each([
    [
      ['--select', 'pss-baseline-privilged'],
      'error: --select: "pss-baseline-privilged" matches no policy id (did you mean pss-baseline-privileged?); run "parapet policies" for the list\n',
    ],
    [
      ['--skip', 'pss-restricted-privilege-escalaton'],
      'error: --skip: "pss-restricted-privilege-escalaton" matches no policy id (did you mean pss-restricted-privilege-escalation?); run "parapet policies" for the list\n',
    ],
    [
      ['--select', 'tag:cis-benchmark'],
      'error: --select: "tag:cis-benchmark" matches no policy tag; run "parapet policies" for the list\n',
    ],
  ])('a selector that matches no policy is an error naming it: %j', async (flags, message) => {
    const { code, stdout, stderr } = await runCli(['check', shop, ...flags]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(message);
  });

  it('a selector in parapet.yaml that matches no policy names the file', async () => {
    const config = path.join(scratch, 'parapet.yaml');
    writeFileSync(config, 'policies:\n  select:\n    - pss-restricted-*\n    - k8s-image-tags\n');
    const { code, stderr } = await runCli(['check', shop, '--config', config]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      new RegExp(
        `^error: ${config.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: policies\\.select: "k8s-image-tags" matches no policy id \\(did you mean k8s-image-tag`,
      ),
    );
  });

  it('`parapet test` on a directory without test cases is an error', async () => {
    const { code, stdout, stderr } = await runCli(['test', 'fixtures/gate/no-tests']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'error: test: no test cases in fixtures/gate/no-tests: declare tests.fail and tests.pass fixtures in the policies\n',
    );
  });
});

describe('directories', () => {
  it('follows symbolic links to manifests and directories, and reports a loop once', async () => {
    const dir = path.join(scratch, 'linked');
    mkdirSync(path.join(dir, 'apps'), { recursive: true });
    symlinkSync(repoPath(shop), path.join(dir, 'apps', 'shop.yaml'));
    symlinkSync(repoPath('fixtures/gate/repo/k8s'), path.join(dir, 'team'));
    symlinkSync('..', path.join(dir, 'apps', 'up'));
    const { code, stdout } = await runCli(['check', dir, ...demo, '-f', 'json', '--allow-empty']);
    expect(code).toBe(2); // team/broken.yaml does not parse
    const report = JSON.parse(stdout);
    expect(new Set(report.resources.map((r: { file: string }) => path.relative(dir, r.file)))).toEqual(
      new Set(['apps/shop.yaml', 'team/web.yaml']),
    );
    expect(report.notices.filter((n: { code: string }) => n.code === 'symlink-loop')).toEqual([
      {
        level: 'warning',
        code: 'symlink-loop',
        file: path.join(dir, 'apps', 'up'),
        message: `${path.join(dir, 'apps', 'up')}: skipped: symbolic link loops back to a parent directory`,
      },
    ]);
  });

  it('one unparsable file is one error entry: every other file is still checked and reported', async () => {
    const { code, stdout, stderr } = await runCli(['check', 'fixtures/gate/repo', ...demo, '-f', 'json']);
    expect(code).toBe(2);
    expect(stderr).toBe(
      'error: fixtures/gate/repo/k8s/broken.yaml:9:1: invalid YAML: Missing closing "quote\n',
    );
    const report = JSON.parse(stdout);
    expect(report.resources.map((r: { id: string }) => r.id)).toContain('Deployment/shop/storefront');
    expect(report.findings.map((f: { policyId: string }) => f.policyId)).toContain('demo-privileged');
    expect(
      report.notices.map((n: { level: string; code: string; file: string }) => [n.level, n.code, n.file]),
    ).toEqual([
      ['warning', 'helm-chart', 'fixtures/gate/repo/charts/web'],
      ['error', 'PARAPET_INPUT_PARSE', 'fixtures/gate/repo/k8s/broken.yaml'],
      ['info', 'not-recognised', 'fixtures/gate/repo/package.json'],
      ['warning', 'not-recognised', 'fixtures/gate/repo/state/show-state.json'],
      ['warning', 'not-recognised', 'fixtures/gate/repo/state/terraform.tfstate.json'],
    ]);
    expect(report.notices[0].message).toMatch(/helm template/);
  });

  it.each([
    ['text', /^error: fixtures\/gate\/repo\/k8s\/broken\.yaml:9:1: invalid YAML/],
    [
      'sarif',
      /"executionSuccessful": false[\s\S]*"level": "error",\s+"message": \{\s+"text": "fixtures\/gate\/repo\/k8s\/broken\.yaml:9:1[\s\S]*"startLine": 9/,
    ],
    [
      'junit',
      /<testsuite name="inputs not checked" tests="1" failures="0" errors="1"[\s\S]*<error message="fixtures\/gate\/repo\/k8s\/broken\.yaml:9:1/,
    ],
    [
      'markdown',
      /## parapet: ⛔ 1 input could not be checked[\s\S]*### ⛔ Inputs not checked\n\n- fixtures\/gate\/repo\/k8s\/broken\.yaml:9:1/,
    ],
    ['html', /<section id="unreadable"><h2>Inputs not checked \(1\)<\/h2>[\s\S]*broken\.yaml:9:1/],
    [
      'github',
      /^::error file=fixtures\/gate\/repo\/k8s\/broken\.yaml,line=9,title=parapet \(input not checked\)::/,
    ],
  ])('the unreadable file is an error entry in the %s report', async (format, pattern) => {
    const { code, stdout } = await runCli(['check', 'fixtures/gate/repo', ...demo, '-f', format]);
    expect(code).toBe(2);
    expect(stdout).toMatch(pattern);
  });

  it('a file that is not there is reported, and the files that are there are checked', async () => {
    const { code, stdout } = await runCli(['check', 'fixtures/gate/nope.yaml', shop, ...demo]);
    expect(code).toBe(2);
    expect(stdout).toMatch(/^error: fixtures\/gate\/nope\.yaml: no such file or directory\n/);
    expect(stdout).toMatch(/9 resources checked against 4 policies: 1 unreadable input, 5 failed\n$/);
  });
});

describe('baselines are visible', () => {
  it('known findings read KNOWN and the summary separates new from known', async () => {
    const baseline = path.join(scratch, 'baseline.json');
    expect((await runCli(['check', shop, ...demo, '--write-baseline', baseline])).code).toBe(1);
    const text = (await runCli(['check', shop, ...demo, '--baseline', baseline])).stdout;
    expect(text).toContain('    KNOWN    high     demo-privileged\n');
    expect(text).not.toContain('FAIL');
    expect(text).toMatch(/9 resources checked against 4 policies: 5 known from the baseline\n$/);
    const mixed = await runCli([
      'check',
      shop,
      'fixtures/gate/repo/k8s/web.yaml',
      ...demo,
      '--baseline',
      baseline,
    ]);
    expect(mixed.code).toBe(1);
    expect(mixed.stdout).toMatch(/: 2 failed, 5 known from the baseline\n$/);
    expect(mixed.stdout).toContain(
      '    FAIL     high     demo-privileged\n      Container "web" sets privileged',
    );
    const github = await runCli([
      'check',
      shop,
      'fixtures/gate/repo/k8s/web.yaml',
      ...demo,
      '--baseline',
      baseline,
      '-f',
      'github',
    ]);
    expect(github.stdout).toMatch(/, 2 new, 5 known from the baseline\n$/);
    const markdown = await runCli([
      'check',
      shop,
      'fixtures/gate/repo/k8s/web.yaml',
      ...demo,
      '--baseline',
      baseline,
      '-f',
      'markdown',
    ]);
    expect(markdown.stdout).toContain('**2** new findings, **5** known from the baseline');
    const html = await runCli([
      'check',
      shop,
      'fixtures/gate/repo/k8s/web.yaml',
      ...demo,
      '--baseline',
      baseline,
      '-f',
      'html',
    ]);
    expect(html.stdout).toContain(
      '<div class="card"><b>2</b><span>New</span></div><div class="card"><b>5</b><span>Known from baseline</span></div>',
    );
    const json = JSON.parse(
      (
        await runCli([
          'check',
          shop,
          'fixtures/gate/repo/k8s/web.yaml',
          ...demo,
          '--baseline',
          baseline,
          '-f',
          'json',
        ])
      ).stdout,
    );
    expect(json.summary.baseline).toEqual({ new: 2, known: 5 });
  });

  it('--write-baseline is not written from a run with unreadable inputs', async () => {
    const baseline = path.join(scratch, 'kept.json');
    writeFileSync(baseline, '{"version":1,"entries":[]}\n');
    const { code, stderr } = await runCli([
      'check',
      'fixtures/gate/repo',
      ...demo,
      '-f',
      'json',
      '--write-baseline',
      baseline,
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain(`error: ${baseline}: not written: some inputs could not be read\n`);
    expect(readFileSync(baseline, 'utf8')).toBe('{"version":1,"entries":[]}\n');
  });
});

describe('pipes', () => {
  it.each([
    [['policies'], 0],
    [['check', shop, ...demo, '--format', 'sarif'], 1],
    [['test', 'fixtures/engine/policies'], 0],
  ])('a reader that stops early (%j | head -1) ends the run quietly with its exit code', (args, exit) => {
    const run = spawnSync(
      'bash',
      [
        '-c',
        `node dist/cli/main.js ${args.join(' ')} | head -c 1 >/dev/null; echo "exit=\${PIPESTATUS[0]}" >&2`,
      ],
      { cwd: repoPath(), encoding: 'utf8' },
    );
    expect(run.stderr).toBe(`exit=${exit}\n`);
  });
});

describe('reports go through a temporary file', () => {
  it('leaves no temporary file behind and replaces the report whole', async () => {
    const dir = path.join(scratch, 'reports');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'report.json'), 'previous');
    await runCli(['check', shop, ...demo, '--format', `json=${path.join(dir, 'report.json')}`]);
    expect(readdirSync(dir)).toEqual(['report.json']);
    expect(JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')).version).toBe(1);
  });
});
