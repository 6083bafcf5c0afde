import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoPath } from './helpers.js';

// The README's Install and Quick start commands, run as written (a fenced block whose info string is
// `sh readme-test`), so an example cannot rot. Only the hosting URL is replaced, by a clone of this
// repository.

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

function bash(script: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Asynchronous: the install builds parapet, and a blocked worker misses vitest's calls.
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
