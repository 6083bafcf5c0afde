import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import semver from 'semver';
import { parse } from 'yaml';
import { repoPath } from '../helpers.js';

// Each route builds or installs the whole package, minutes on a loaded machine.
const routeTimeout = 20 * 60_000;
const work = mkdtempSync(path.join(os.tmpdir(), 'parapet-install-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  // Asynchronous: a build takes minutes, and a blocked worker misses vitest's calls.
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', PARAPET_NO_PROGRESS: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function ok(result: Run, what: string): Run {
  if (result.status !== 0)
    throw new Error(`${what} exited ${result.status}:\n${result.stderr}\n${result.stdout}`);
  return result;
}

const packageJson = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as {
  version: string;
  license: string;
  dependencies: Record<string, string>;
  bin: Record<string, string>;
  engines: Record<string, string>;
  overrides?: Record<string, unknown>;
};

/**
 * Install a packed parapet into a fresh project with npm, offline: the project's lockfile holds the
 * tarball and the repository's locked production dependencies, so every package comes from the
 * local npm cache (filled by `npm ci`) and the versions are the ones the tests ran with.
 */
async function installTarball(tarball: string, into: string): Promise<string> {
  mkdirSync(into, { recursive: true });
  const name = path.basename(tarball);
  writeFileSync(path.join(into, name), readFileSync(tarball));
  const lock = JSON.parse(readFileSync(repoPath('package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const manifest = {
    name: 'parapet-consumer',
    private: true,
    dependencies: { parapet: `file:${name}` },
    ...(packageJson.overrides ? { overrides: packageJson.overrides } : {}),
  };
  const packages: Record<string, unknown> = {
    '': { name: manifest.name, dependencies: manifest.dependencies, overrides: packageJson.overrides },
    'node_modules/parapet': {
      version: packageJson.version,
      resolved: `file:${name}`,
      integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
      license: packageJson.license,
      dependencies: packageJson.dependencies,
      bin: packageJson.bin,
      engines: packageJson.engines,
    },
  };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key.startsWith('node_modules/') && !entry.dev) packages[key] = entry;
  }
  writeFileSync(path.join(into, 'package.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(
    path.join(into, 'package-lock.json'),
    JSON.stringify({ name: manifest.name, lockfileVersion: 3, requires: true, packages }, null, 2),
  );
  ok(
    await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], into),
    'npm ci --offline of the tarball',
  );
  return path.join(into, 'node_modules', '.bin', 'parapet');
}

function tarballFiles(tarball: string): string[] {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
}

/** `parapet --version` and one check of the clean corpus through an installed binary. */
async function expectWorkingParapet(bin: string): Promise<void> {
  const version = ok(await run(bin, ['--version'], repoPath()), 'parapet --version');
  expect(version.stdout.trim()).toBe(packageJson.version);
  const check = await run(bin, ['check', 'fixtures/clean', '--format', 'json'], repoPath());
  expect(check.stderr).toBe('');
  expect(check.status).toBe(0);
  const report = JSON.parse(check.stdout) as { summary: { resources: number } };
  expect(report.summary.resources).toBe(11);
}

/** What every installable package must hold: the compiled CLI and the build's generated data. */
function expectBuiltPackage(files: string[]): void {
  for (const file of [
    'package/dist/cli/main.js',
    'package/dist/library/policies.json',
    'package/dist/library/validators/k8s-image-tag.first-error.cjs',
    'package/dist/cost/builtin-pricing.json',
    'package/policies/kubernetes/pss/pss-baseline-privileged.yaml',
  ]) {
    expect(files, file).toContain(file);
  }
  expect(files.some((file) => file.startsWith('package/src/'))).toBe(false);
  expect(files.some((file) => file.startsWith('package/test/'))).toBe(false);
}

/** A clone of the repository's committed HEAD, as `npm install git+URL` would fetch it. */
async function cloneRepository(): Promise<string> {
  const clone = path.join(work, `clone-${Math.random().toString(36).slice(2)}`);
  ok(await run('git', ['clone', '--quiet', '--no-hardlinks', repoPath(), clone], work), 'git clone');
  return clone;
}

describe('install routes', () => {
  it(
    'npm pack, then npm install of the tarball, offline: parapet --version and a check',
    async () => {
      if (!existsSync(repoPath('dist', 'library', 'policies.json')))
        throw new Error('dist/ is not built: run `npm run build` (npm test does) before this test');
      const packs = path.join(work, 'packs');
      mkdirSync(packs);
      // dist/ is what `npm test` built; --ignore-scripts keeps the other test files' dist/ untouched.
      ok(await run('npm', ['pack', '--ignore-scripts', '--pack-destination', packs], repoPath()), 'npm pack');
      const tarball = path.join(packs, `parapet-${packageJson.version}.tgz`);
      expectBuiltPackage(tarballFiles(tarball));
      await expectWorkingParapet(await installTarball(tarball, path.join(work, 'tarball-consumer')));
    },
    routeTimeout,
  );

  it(
    'installed into a project as users install it, the tree supports the oldest Node it declares: no EBADENGINE',
    async () => {
      const packs = path.join(work, 'packs-fresh');
      mkdirSync(packs);
      ok(await run('npm', ['pack', '--ignore-scripts', '--pack-destination', packs], repoPath()), 'npm pack');
      const tarball = path.join(packs, `parapet-${packageJson.version}.tgz`);
      const project = path.join(work, 'fresh-consumer');
      mkdirSync(project);
      writeFileSync(
        path.join(project, 'package.json'),
        JSON.stringify({ name: 'fresh-consumer', private: true }),
      );
      // No lockfile: npm resolves parapet's dependency ranges as a user's install does today (the
      // root's lockfile and overrides never reach users), from the npm cache or the registry.
      const install = ok(
        await run('npm', ['install', '--no-audit', '--no-fund', tarball], project, {
          npm_config_prefer_offline: 'true',
        }),
        'npm install of the tarball',
      );
      expect(`${install.stdout}${install.stderr}`).not.toMatch(/EBADENGINE/);
      // And for the oldest Node the package declares, not only the one running the test.
      const oldest = semver.minVersion(packageJson.engines.node!)!.version;
      const unsupported: string[] = [];
      const visit = (dir: string): void => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
          if (!entry.isDirectory() || entry.name === '.bin') continue;
          const pkg = path.join(dir, entry.name);
          if (entry.name.startsWith('@')) {
            visit(pkg);
            continue;
          }
          const manifestFile = path.join(pkg, 'package.json');
          if (existsSync(manifestFile)) {
            const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
              name: string;
              version: string;
              engines?: { node?: string };
            };
            const range = manifest.engines?.node;
            if (range && !semver.satisfies(oldest, range))
              unsupported.push(`${manifest.name}@${manifest.version} wants node ${range}`);
          }
          if (existsSync(path.join(pkg, 'node_modules'))) visit(path.join(pkg, 'node_modules'));
        }
      };
      visit(path.join(project, 'node_modules'));
      expect(unsupported, `Node ${oldest}`).toEqual([]);
      await expectWorkingParapet(path.join(project, 'node_modules', '.bin', 'parapet'));
    },
    routeTimeout,
  );

  it(
    'the GitLab template: its install and check steps, run as the job runs them, with a git URL',
    async () => {
      const template = parse(readFileSync(repoPath('.gitlab', 'parapet.gitlab-ci.yml'), 'utf8')) as {
        variables: Record<string, string>;
        '.parapet': { before_script: string[]; script: string[]; variables: Record<string, string> };
      };
      const job = template['.parapet'];
      const project = path.join(work, 'gitlab-project');
      const prefix = path.join(work, 'gitlab-global');
      mkdirSync(project);
      const env = {
        ...template.variables,
        ...job.variables,
        CI_PROJECT_DIR: project,
        npm_config_cache: process.env.npm_config_cache ?? path.join(os.homedir(), '.npm'),
        PARAPET_SOURCE: `git+file://${await cloneRepository()}`,
        PARAPET_PATHS: repoPath('fixtures', 'clean'),
        // `npm install --global` resolves the package's dependency ranges: registry metadata comes
        // from the npm cache when it is there, from the registry otherwise.
        npm_config_prefer_offline: 'true',
        npm_config_prefix: prefix,
        PATH: `${path.join(prefix, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
      };
      // GitLab runs before_script and script in one shell that stops at the first failing line.
      const shell = ['set -e', ...job.before_script, ...job.script].join('\n');
      const result = await run('bash', ['-c', shell], project, env);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout.split('\n')).toContain(packageJson.version);
      expect(result.stdout).toContain('11 resources checked against');
      const junit = readFileSync(path.join(project, 'parapet-reports', 'junit.xml'), 'utf8');
      expect(junit).toContain('<testsuites');
      for (const report of ['parapet.sarif', 'report.html', 'summary.md'])
        expect(existsSync(path.join(project, 'parapet-reports', report)), report).toBe(true);

      const unset = await run('bash', ['-c', shell], project, { ...env, PARAPET_SOURCE: '' });
      expect(unset.status).toBe(2);
      expect(unset.stderr).toBe(
        "error: set PARAPET_SOURCE to parapet's git URL or tarball (see .gitlab/parapet.gitlab-ci.yml)\n",
      );
    },
    routeTimeout,
  );

  it(
    "the container image: the Dockerfile's steps, run in order, give an app with the precompiled library",
    async () => {
      // No image builder runs here (no daemon, no base images from a registry), so the Dockerfile's
      // instructions run against directories: the build stage's COPY and RUN in a copy of the
      // context, then the final stage's COPY --from=build, then its ENTRYPOINT with this node.
      const stages = new Map<string, string>();
      const image = path.join(work, 'image');
      let stage = '';
      let cwd = '';
      let entrypoint: string[] = [];
      for (const raw of readFileSync(repoPath('webhooks', 'Dockerfile'), 'utf8').split('\n')) {
        const line = raw.trim();
        if (!line || line.startsWith('#')) continue;
        const [instruction, ...rest] = line.split(/\s+/);
        const args = rest.join(' ');
        if (instruction === 'FROM') {
          stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? 'final';
          stages.set(stage, path.join(image, stage));
          mkdirSync(stages.get(stage)!, { recursive: true });
        } else if (instruction === 'WORKDIR') {
          cwd = path.join(stages.get(stage)!, args);
          mkdirSync(cwd, { recursive: true });
        } else if (instruction === 'COPY') {
          const from = /^--from=(\S+)\s+/.exec(args);
          const paths = args.replace(/^--from=\S+\s+/, '').split(/\s+/);
          const dest = paths.pop()!;
          for (const source of paths) {
            const origin = from ? path.join(stages.get(from[1]!)!, source) : repoPath(source);
            // A destination ending in / is a directory the sources go into, as Docker reads it.
            const target = path.resolve(
              cwd,
              dest.endsWith('/') ? path.join(dest, path.basename(source)) : dest,
            );
            cpSync(origin, target, { recursive: true });
          }
        } else if (instruction === 'RUN') {
          ok(await run('bash', ['-c', args], cwd, { npm_config_offline: 'true' }), `RUN ${args}`);
        } else if (instruction === 'ENTRYPOINT') {
          entrypoint = JSON.parse(args) as string[];
        }
      }
      const app = stages.get('final')!;
      const main = path.join(app, entrypoint[1]!);
      expect(entrypoint[0]).toBe('/nodejs/bin/node');
      const appDir = path.join(app, 'app');
      for (const file of [
        'dist/library/policies.json',
        'dist/cost/builtin-pricing.json',
        'policies/kubernetes',
      ])
        expect(existsSync(path.join(appDir, file)), file).toBe(true);
      expect(existsSync(path.join(appDir, 'node_modules', 'typescript')), 'dev dependencies pruned').toBe(
        false,
      );
      const version = ok(await run(process.execPath, [main, '--version'], repoPath()), 'parapet --version');
      expect(version.stdout.trim()).toBe(packageJson.version);
      const check = await run(process.execPath, [main, 'check', 'fixtures/clean'], repoPath(), {
        NODE_ENV: 'production',
      });
      expect(check.status, check.stderr).toBe(0);
      expect(check.stdout).toContain('11 resources checked against');
    },
    routeTimeout,
  );
});
