import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoPath } from '../helpers.js';

// pre-commit comes from PyPI through .ci/setup-pre-commit.sh.
const cacheBin = path.join(process.env.PARAPET_CACHE ?? '/var/cache/parapet', 'bin');
const preCommit = [cacheBin, ...(process.env.PATH ?? '').split(path.delimiter)]
  .map((dir) => path.join(dir, 'pre-commit'))
  .find((file) => existsSync(file));
if (!preCommit)
  console.warn('pre-commit hook test: pre-commit not found (run .ci/setup-pre-commit.sh); skipped');

const work = mkdtempSync(path.join(os.tmpdir(), 'parapet-pre-commit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  // Asynchronous: installing the hook builds parapet, and a blocked worker misses vitest's calls.
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NO_COLOR: '1',
        PARAPET_NO_PROGRESS: '1',
        PRE_COMMIT_HOME: path.join(work, 'pre-commit-home'),
        // The hook's environment installs parapet globally: registry metadata from the npm cache when there.
        npm_config_prefer_offline: 'true',
        GIT_AUTHOR_NAME: 'parapet test',
        GIT_AUTHOR_EMAIL: 'test@example.com',
        GIT_COMMITTER_NAME: 'parapet test',
        GIT_COMMITTER_EMAIL: 'test@example.com',
      },
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe.skipIf(!preCommit)('the pre-commit hook', () => {
  it(
    'pre-commit try-repo installs parapet with npm and checks the staged manifests',
    async () => {
      const repo = path.join(work, 'repo');
      cpSync(repoPath('fixtures', 'clean'), path.join(repo, 'k8s'), { recursive: true });
      expect((await run('git', ['init', '--quiet'], repo)).code).toBe(0);
      expect((await run('git', ['add', '.'], repo)).code).toBe(0);
      const clean = await run(preCommit!, ['try-repo', repoPath(), 'parapet', '--all-files'], repo);
      expect(clean.output).toMatch(/parapet check\.+Passed/);
      expect(clean.code, clean.output).toBe(0);

      cpSync(repoPath('fixtures', 'kubernetes', 'shop-kustomize.yaml'), path.join(repo, 'k8s', 'shop.yaml'));
      expect((await run('git', ['add', '.'], repo)).code).toBe(0);
      const failing = await run(preCommit!, ['try-repo', repoPath(), 'parapet', '--all-files'], repo);
      expect(failing.output).toMatch(/parapet check\.+Failed/);
      expect(failing.output).toContain('k8s/shop.yaml');
      expect(failing.code).toBe(1);
    },
    20 * 60_000,
  );
});
