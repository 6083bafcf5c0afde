import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoPath } from './helpers.js';
import { createTestPki, haveOpenssl } from './server/certs.js';

// Every command of the README's fenced shell blocks (`sh`, `bash`, `console`) is run here, so an
// example cannot rot. Install and Quick start (info string `sh readme-test`) run in order as a new
// user would; every other block runs in a directory holding what its commands name (fixtures, or
// the files the README shows beside it). The few that are not run are listed with the reason.

const readme = readFileSync(repoPath('README.md'), 'utf8');

/** The `sh readme-test` blocks of one `## ` section. */
function testedBlocks(section: string): string[] {
  const start = readme.indexOf(`\n## ${section}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${section}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  const body = readme.slice(start, end < 0 ? undefined : end);
  return [...body.matchAll(/^```sh readme-test\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

const cacheBin = path.join(process.env.PARAPET_CACHE ?? '/var/cache/parapet', 'bin');
const helm = [cacheBin, ...(process.env.PATH ?? '').split(path.delimiter)].some((dir) =>
  existsSync(path.join(dir, 'helm')),
);
if (!helm)
  console.warn('README commands: helm not found (run .ci/setup-render-tools.sh); the test is skipped');

const work = mkdtempSync(path.join(os.tmpdir(), 'parapet-readme-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const prefix = path.join(work, 'global');
const env = {
  ...process.env,
  NO_COLOR: '1',
  PARAPET_NO_PROGRESS: '1',
  // `npm install --global` into a private prefix; registry metadata from the npm cache when there.
  npm_config_prefix: prefix,
  npm_config_prefer_offline: 'true',
  PATH: [path.join(prefix, 'bin'), cacheBin, process.env.PATH ?? ''].join(path.delimiter),
};

function bash(
  script: string,
  cwd: string,
  environment: NodeJS.ProcessEnv = env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Asynchronous: the install builds parapet, and a blocked worker misses vitest's calls.
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('README commands', () => {
  it('each tested section has its block', () => {
    expect(testedBlocks('Install')).toHaveLength(1);
    expect(testedBlocks('Quick start')).toHaveLength(1);
  });

  it.skipIf(!helm)(
    'Install, then Quick start on a repository of the fixtures',
    async () => {
      const clone = path.join(work, 'clone');
      expect(
        (await bash(`git clone --quiet --no-hardlinks ${JSON.stringify(repoPath())} ${clone}`, work)).code,
      ).toBe(0);
      const [install] = testedBlocks('Install');
      const pointed = install!.replace(/^PARAPET_GIT=.*$/m, `PARAPET_GIT=git+file://${clone}`);
      expect(pointed).not.toBe(install);
      const installDir = path.join(work, 'install');
      mkdirSync(installDir);
      const installed = await bash(`set -eo pipefail\n${pointed}`, installDir);
      expect(installed.code, installed.stderr).toBe(0);
      const version = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string })
        .version;
      expect(installed.stdout.trim().split('\n').at(-1)).toBe(version);
      expect(existsSync(path.join(installDir, `parapet-${version}.tgz`))).toBe(true);

      // "your own repository": the paths the Quick start names, filled with the fixtures.
      const repo = path.join(work, 'repo');
      cpSync(repoPath('fixtures', 'clean'), path.join(repo, 'k8s'), { recursive: true });
      cpSync(repoPath('fixtures', 'terraform', 'plan.json'), path.join(repo, 'infra', 'plan.json'));
      cpSync(repoPath('fixtures', 'render', 'helm', 'web'), path.join(repo, 'charts', 'web'), {
        recursive: true,
      });
      const [quickStart] = testedBlocks('Quick start');
      const commands = quickStart!.split('\n').filter((line) => line.trim() && !line.startsWith('#'));
      expect(commands.length).toBeGreaterThanOrEqual(5);
      const codes: number[] = [];
      for (const command of commands) {
        const result = await bash(command, repo);
        // 0 or 1 is a verdict; 2 would be a command the README gets wrong.
        expect([0, 1], `${command}\n${result.stderr}`).toContain(result.code);
        expect(result.stderr, command).not.toMatch(/^error:/m);
        codes.push(result.code!);
      }
      // The clean corpus passes; the plan has findings; with the baseline written, only new ones fail.
      expect(codes[0]).toBe(0);
      expect(codes[1]).toBe(1);
      expect(codes.at(-1)).toBe(0);
      expect(existsSync(path.join(repo, '.parapet-baseline.json'))).toBe(true);
      expect(JSON.parse(readFileSync(path.join(repo, 'parapet.sarif'), 'utf8')).version).toBe('2.1.0');
    },
    20 * 60_000,
  );
});

interface ShellBlock {
  /** README line of the opening fence. */
  line: number;
  /** The fence's info string: `sh`, `sh readme-test`, `bash`, `console`. */
  info: string;
  /** The commands, continuation lines joined; comment and blank lines left out. */
  commands: string[];
  /** `console` blocks: the output shown under each command. */
  outputs: string[][];
}

/** Every fenced block of the README whose info string is `sh`, `bash` or `console`. */
function shellBlocks(): ShellBlock[] {
  const lines = readme.split('\n');
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const open = /^\s*```(\S*)(.*)$/.exec(lines[i]!);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) end += 1;
    const body = lines.slice(i + 1, end);
    const info = `${open[1]}${open[2]}`.trim();
    if (open[1] === 'console') {
      const commands: string[] = [];
      const outputs: string[][] = [];
      for (const line of body) {
        if (line.startsWith('$ ')) {
          commands.push(line.slice(2));
          outputs.push([]);
        } else outputs.at(-1)?.push(line);
      }
      blocks.push({ line: i + 1, info, commands, outputs });
    } else if (open[1] === 'sh' || open[1] === 'bash') {
      const joined = body.join('\n').replace(/\\\n\s*/g, '');
      const commands = joined.split('\n').filter((line) => line.trim() && !line.trimStart().startsWith('#'));
      blocks.push({ line: i + 1, info, commands, outputs: [] });
    }
    i = end;
  }
  return blocks;
}

/** A file the README shows in a YAML block that starts with `# PATH`. */
function readmeFile(file: string): string {
  const match = new RegExp(
    `^\`\`\`yaml\\n(# ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n[\\s\\S]*?)^\`\`\`$`,
    'm',
  ).exec(readme);
  if (!match) throw new Error(`README.md shows no file ${file}`);
  return match[1]!;
}

interface Example {
  /**
   * What the directory the commands run in holds: each path maps to a fixture (a path in this
   * repository, copied) or to `readme:` and the file the README shows in a YAML block.
   */
  files: Record<string, string>;
  /** The exit code of each command run, in order: 0 passes, 1 reports findings, 2 is an error. */
  codes: number[];
  /** Commands of the block left out, each with the reason. */
  skip?: Record<string, string>;
  /** What the output of a command must show beside its exit code. */
  shows?: Record<string, RegExp>;
  /** Changes made after copying: the example shows a result that differs from the test's. */
  edit?: (dir: string) => void;
}

/** The README's shell blocks that run here, by their first command. */
const examples: Record<string, Example> = {
  'parapet check k8s/ --select \'pss-baseline-*\'   # the Pod Security Admission "baseline" verdict': {
    files: { k8s: 'fixtures/kubernetes' },
    codes: [1, 1, 1],
  },
  "parapet check k8s/ --select 'pss-*' --pss-version v1.33   # as a v1.33 cluster (or enforce-version: v1.33) admits":
    { files: { k8s: 'fixtures/kubernetes' }, codes: [1] },
  'terraform plan -out plan.bin && terraform show -json plan.bin > plan.json': {
    files: { 'plan.json': 'fixtures/terraform/plan.json', 'fixtures/terraform': 'fixtures/terraform' },
    codes: [1, 1],
    skip: {
      'terraform plan -out plan.bin && terraform show -json plan.bin > plan.json':
        'needs terraform and the cloud account; plan.json is a fixture of its output',
    },
  },
  'parapet cost plan.json                      # per-resource breakdown, before / after / change': {
    files: {
      'plan.json': 'fixtures/cost/plan-aws.json',
      'k8s/workloads.yaml': 'fixtures/cost/k8s-workloads.yaml',
      'parapet.yaml': 'fixtures/readme/cost/parapet.yaml',
    },
    codes: [0, 0, 0, 1, 1],
    shows: {
      "parapet check plan.json --approve 'cost-plan-delta-budget:*'   # accept a deliberate increase over the budget set":
        /^ {4}APPROVED high {5}cost-plan-delta-budget$/m,
    },
  },
  'parapet check k8s/ infra/plan.json --write-baseline .parapet-baseline.json   # commit this file': {
    files: { k8s: 'fixtures/kubernetes', 'infra/plan.json': 'fixtures/terraform/plan.json' },
    codes: [1, 0],
  },
  'parapet check k8s/ plan.json --format sarif=parapet.sarif --format html=report.html --format junit=junit.xml':
    { files: { k8s: 'fixtures/kubernetes', 'plan.json': 'fixtures/terraform/plan.json' }, codes: [1] },
  'parapet check --no-builtin --policies policy/ deploy/            # a Conftest directory (package main)': {
    files: {
      policy: 'fixtures/rego/conftest-kubernetes/policy',
      'policy/terraform/cost.rego': 'fixtures/rego/conftest-terraform/policy/cost.rego',
      deploy: 'fixtures/rego/conftest-kubernetes/manifests',
      'plan.json': 'fixtures/rego/conftest-terraform/plans/plan-violations.json',
      gatekeeper: 'fixtures/rego/gatekeeper',
      manifests: 'fixtures/rego/gatekeeper/manifests',
    },
    codes: [1, 1, 1, 0, 0],
  },
  'parapet verify policy/suite.yaml policy/*/suite.yaml': {
    files: {
      policy: 'fixtures/rego/gatekeeper',
      'policy/match': 'fixtures/rego/gatekeeper-suites',
      'policy/match/suite.yaml': 'fixtures/rego/gatekeeper-suites/match-suite.yaml',
    },
    codes: [0],
  },
  'parapet check --policies policies/ deploy/': {
    files: {
      'policies/require-team.yaml': 'readme:policies/require-team.yaml',
      deploy: 'fixtures/readme/deploy',
    },
    codes: [1],
  },
  'parapet test policies/': {
    files: { policies: 'fixtures/kyverno/pss-baseline', manifests: 'fixtures/kyverno/manifests' },
    codes: [1],
    // The README shows a test whose expected result is wrong: the fixture's, with one result flipped.
    edit: (dir) => {
      const file = path.join(dir, 'policies/kyverno-test.yaml');
      const text = readFileSync(file, 'utf8');
      const flipped = text.replace(
        'kind: Deployment\n    resources: [shop/web]\n    result: pass',
        'kind: Deployment\n    resources: [shop/web]\n    result: fail',
      );
      expect(flipped).not.toBe(text);
      writeFileSync(file, flipped);
    },
  },
  'parapet check --policies admission/ deploy/web.yaml': {
    files: {
      'admission/replica-limit.yaml': 'readme:admission/replica-limit.yaml',
      deploy: 'fixtures/readme/deploy',
    },
    codes: [1],
  },
};

/** The README's shell blocks that do not run here, by their first command, with the reason. */
const notRun: Record<string, string> = {
  'npm ci && npm run demo': 'how this test suite itself is started (npm ci, npm run build, npm test)',
  'parapet check [PATH...] [options]': 'the synopsis, not a command',
  'npm run build':
    'refresh-prices downloads the AWS Price List and Azure Retail Prices (network); its arguments are test/cost/refresh-prices-args.test.ts, its parsers test/cost/catalogue.test.ts on saved price lists',
  'parapet audit                                  # current kubeconfig context, every namespace':
    'needs a cluster: test/e2e/audit.test.ts runs audit with these flags against kube-apiserver',
};

/** The serve block runs as a server: started, ready, stopped. */
const serveBlock = 'parapet serve --tls-cert tls.crt --tls-key tls.key            # HTTPS on 0.0.0.0:8443';

function firstLine(block: ShellBlock): string {
  return block.commands[0] ?? '';
}

// The examples run the `parapet` of this checkout (npm test builds it first).
const shimDir = path.join(work, 'shim');
mkdirSync(shimDir);
writeFileSync(
  path.join(shimDir, 'parapet'),
  `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(repoPath('dist/cli/main.js'))} "$@"\n`,
  { mode: 0o755 },
);
const exampleEnv = {
  ...process.env,
  NO_COLOR: '1',
  PARAPET_NO_PROGRESS: '1',
  PATH: [shimDir, cacheBin, process.env.PATH ?? ''].join(path.delimiter),
};

/** A directory holding what an example's commands name. */
function exampleDir(example: Example): string {
  const dir = mkdtempSync(path.join(work, 'example-'));
  for (const [target, source] of Object.entries(example.files)) {
    const to = path.join(dir, target);
    mkdirSync(path.dirname(to), { recursive: true });
    if (source.startsWith('readme:')) writeFileSync(to, readmeFile(source.slice('readme:'.length)));
    else cpSync(repoPath(source), to, { recursive: true });
  }
  example.edit?.(dir);
  return dir;
}

/** Whether `expected` lines appear in `actual`, in order (the README shows an excerpt). */
function showsInOrder(actual: string, expected: string[]): boolean {
  const lines = actual.split('\n').map((line) => line.trimEnd());
  let at = 0;
  for (const line of expected.map((l) => l.trimEnd()).filter(Boolean)) {
    at = lines.indexOf(line, at);
    if (at < 0) return false;
    at += 1;
  }
  return true;
}

describe('every shell command of the README', () => {
  const blocks = shellBlocks();

  it('is run below, or listed with the reason it is not', () => {
    const covered = (block: ShellBlock) => {
      const first = firstLine(block);
      return block.info === 'sh readme-test' || first in examples || first in notRun || first === serveBlock;
    };
    expect(blocks.length).toBeGreaterThan(10);
    expect(
      blocks
        .filter((block) => !covered(block))
        .map((block) => `README.md:${block.line}: ${firstLine(block)}`),
    ).toEqual([]);
    // Each entry still names a block of the README.
    const firsts = new Set(blocks.map(firstLine));
    for (const key of [...Object.keys(examples), ...Object.keys(notRun), serveBlock])
      expect(firsts, key).toContain(key);
  });

  for (const block of blocks.filter((b) => firstLine(b) in examples)) {
    const example = examples[firstLine(block)]!;
    it(
      `README.md:${block.line}: ${firstLine(block).slice(0, 60)}`,
      async () => {
        const dir = exampleDir(example);
        const run = block.commands.filter((command) => !example.skip?.[command]);
        const codes: number[] = [];
        for (const [i, command] of block.commands.entries()) {
          if (example.skip?.[command]) continue;
          const result = await bash(command, dir, exampleEnv);
          expect(result.stderr, command).not.toMatch(/^error:/m);
          codes.push(result.code!);
          const shows = example.shows?.[command];
          if (shows) expect(result.stdout, command).toMatch(shows);
          const shown = block.outputs[i];
          if (shown?.length)
            expect(showsInOrder(result.stdout, shown), `${command}\n${result.stdout}`).toBe(true);
        }
        expect(codes, run.join('\n')).toEqual(example.codes);
      },
      5 * 60_000,
    );
  }

  it.skipIf(!haveOpenssl)(
    `README.md: ${serveBlock.slice(0, 60)}`,
    async () => {
      const block = blocks.find((b) => firstLine(b) === serveBlock)!;
      const pki = createTestPki('parapet-readme-pki-');
      const serving = pki.issue('tls', { sans: ['IP:127.0.0.1', 'DNS:localhost'] });
      const dir = mkdtempSync(path.join(work, 'serve-'));
      cpSync(serving.cert, path.join(dir, 'tls.crt'));
      cpSync(serving.key, path.join(dir, 'tls.key'));
      cpSync(pki.ca.cert, path.join(dir, 'apiserver-ca.crt'));
      expect(block.commands).toHaveLength(2);
      for (const command of block.commands) {
        // Ports chosen by the system: the documented 8443 and 8080 may be taken on a shared machine.
        const child = spawn(
          'bash',
          ['-c', `exec ${command.replace(/\s+#.*$/, '')} --port 0 --probe-port 0`],
          {
            cwd: dir,
            env: exampleEnv,
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
        const deadline = Date.now() + 120_000;
        while (!/"event":"ready"/.test(stdout) && child.exitCode === null && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 100));
        expect(stdout, `${command}\n${stderr}`).toMatch(/"event":"ready"/);
        child.kill('SIGTERM');
        expect(await exited, stderr).toBe(0);
      }
    },
    5 * 60_000,
  );
});
