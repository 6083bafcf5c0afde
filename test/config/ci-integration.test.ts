import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/** The GitHub Action, the GitLab template and the pre-commit hook are files users copy: keep them working. */
const root = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => parse(readFileSync(path.join(root, file), 'utf8')) as Record<string, unknown>;

type Step = {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  shell?: string;
};
const action = read('action.yml') as {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
};

function runCheckStep(inputs: Record<string, string>, exit = 1) {
  const step = action.runs.steps.find((s) => s.id === 'check')!;
  const temp = mkdtempSync(path.join(tmpdir(), 'parapet-action-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    RUNNER_TEMP: temp,
    GITHUB_STEP_SUMMARY: path.join(temp, 'summary.md'),
    GITHUB_OUTPUT: path.join(temp, 'output.txt'),
    PARAPET_BIN: path.join(root, 'fixtures/config/ci/fake-parapet.mjs'),
    FAKE_PARAPET_ARGS: path.join(temp, 'args.json'),
    FAKE_PARAPET_EXIT: String(exit),
  };
  // Every INPUT_* variable the step maps from an input, with the input's default unless overridden.
  for (const [name, value] of Object.entries(step.env ?? {})) {
    const input = /^\$\{\{ inputs\.([a-z-]+) \}\}$/.exec(value)?.[1];
    if (input) env[name] = inputs[input] ?? action.inputs[input]?.default ?? '';
    else if (!value.includes('${{')) env[name] = value;
  }
  const stdout = execFileSync('bash', ['-c', step.run!], { cwd: temp, env, encoding: 'utf8' });
  return {
    stdout,
    args: JSON.parse(readFileSync(env.FAKE_PARAPET_ARGS!, 'utf8')) as string[],
    outputs: readFileSync(env.GITHUB_OUTPUT!, 'utf8'),
    summary: readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8'),
    temp,
  };
}

describe('GitHub Action (action.yml)', () => {
  it('is a composite action whose expressions only name declared inputs', () => {
    expect(action.runs.using).toBe('composite');
    const text = readFileSync(path.join(root, 'action.yml'), 'utf8');
    for (const match of text.matchAll(/inputs\.([a-z-]+)/g))
      expect(Object.keys(action.inputs)).toContain(match[1]);
    expect(action.runs.steps.some((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'))).toBe(
      true,
    );
  });

  it('builds the parapet command line from the inputs, keeping quoted arguments whole', () => {
    const run = runCheckStep({
      paths: 'k8s/\ninfra/plan.json',
      'fail-on': 'high',
      baseline: '.parapet-baseline.json',
      args: `--select 'pss-*' --skip "tag:cost" --image nginx:1.27`,
    });
    expect(run.args).toEqual([
      'check',
      'k8s/',
      'infra/plan.json',
      '--format',
      'github',
      '--format',
      'sarif=parapet.sarif',
      '--format',
      `markdown=${path.join(run.temp, 'parapet-summary.md')}`,
      '--format',
      'html=parapet-report.html',
      '--fail-on',
      'high',
      '--baseline',
      '.parapet-baseline.json',
      '--select',
      'pss-*',
      '--skip',
      'tag:cost',
      '--image',
      'nginx:1.27',
    ]);
    expect(run.stdout).toContain('::error file=k8s/web.yaml,line=3');
    expect(run.summary).toBe('## parapet: ❌ 2 findings must be fixed\n');
    expect(run.outputs).toContain('exit-code=1\n');
    expect(run.outputs).toContain('sarif-file=parapet.sarif\n');
  });

  it('records exit 2 for the verdict step instead of failing before the summary is written', () => {
    const run = runCheckStep({ paths: '.', 'html-file': '' }, 2);
    expect(run.args).not.toContain('html=parapet-report.html');
    expect(run.outputs).toContain('exit-code=2\n');
    const verdict = action.runs.steps.find((s) => s.name === 'Verdict')!;
    const status = (code: string, failOnFindings: string) => {
      try {
        execFileSync('bash', ['-c', verdict.run!], {
          env: { PATH: process.env.PATH, CODE: code, FAIL_ON_FINDINGS: failOnFindings },
          stdio: 'pipe',
        });
        return 0;
      } catch (error) {
        return (error as { status: number }).status;
      }
    };
    expect([status('0', 'true'), status('1', 'true'), status('1', 'false'), status('2', 'false')]).toEqual([
      0, 1, 0, 2,
    ]);
  });
});

describe('GitLab CI template and pre-commit hook', () => {
  it('the GitLab job publishes the JUnit report it writes', () => {
    const template = read('.gitlab/parapet.gitlab-ci.yml') as Record<string, Record<string, unknown>>;
    const job = template['.parapet'] as { script: string[]; artifacts: { reports: { junit: string } } };
    expect(job.script.join(' ')).toContain('--format "junit=$PARAPET_REPORT_DIR/junit.xml"');
    expect(job.artifacts.reports.junit).toBe('$PARAPET_REPORT_DIR/junit.xml');
  });

  it('the pre-commit hook runs the package binary, which npm pack builds', () => {
    const hooks = parse(readFileSync(path.join(root, '.pre-commit-hooks.yaml'), 'utf8')) as Array<
      Record<string, unknown>
    >;
    expect(hooks[0]).toMatchObject({
      id: 'parapet',
      entry: 'parapet check',
      language: 'node',
      pass_filenames: true,
    });
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
    };
    expect(pkg.bin.parapet).toBe('dist/cli/main.js');
    // Built wherever npm installs the package from source: git URLs, `npm pack`, local paths.
    expect(pkg.scripts.prepare).toBe('node src/packaging/prepare.mjs');
  });
});
