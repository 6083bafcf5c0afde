// npm's `prepare` lifecycle: builds dist/ (the compiled CLI, the pricing cache and the precompiled
// policy library) whenever parapet is installed from sources: `npm ci` in a checkout, `npm pack`,
// and `npm install [-g] git+URL` / `github:owner/parapet`, which clone the repository and run
// `prepare` before packing it. Tarball and registry installs ship dist/ and never run it.
//
// `npm install -g` from git runs `prepare` in the clone while the global install owns the clone's
// node_modules, without devDependencies (https://github.com/npm/cli/issues/8440, #6984): TypeScript
// is missing there, and installing into that node_modules races npm itself. So when TypeScript is
// missing, the build runs in a private copy of the sources with the locked devDependencies, and
// only dist/ comes back.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const buildInputs = ['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'policies'];

// Settings that say where packages come from are kept; the ones describing the invoking install
// (global, prefix, force, ...) would make the nested commands act on the global install again.
const keptSetting =
  /^npm_config_(cache|userconfig|registry|offline|prefer_offline|prefer_online|cafile|ca|proxy|https_proxy|noproxy|strict_ssl|nodedir)$|^npm_config_@.*:registry$|^npm_config_\/\//i;

function localEnvironment() {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^npm_config_/i.test(name) && !keptSetting.test(name)) delete env[name];
  }
  return env;
}

function npm(args, cwd) {
  // npm_execpath is the npm CLI running this lifecycle script: run the same one, with this node.
  const cli = process.env.npm_execpath;
  const [command, commandArgs] = cli ? [process.execPath, [cli, ...args]] : ['npm', args];
  const result = spawnSync(command, commandArgs, {
    cwd,
    env: localEnvironment(),
    stdio: 'inherit',
    shell: !cli && process.platform === 'win32',
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    console.error(
      `parapet prepare: npm ${args[0]} failed in ${cwd} (exit ${result.status ?? result.signal})`,
    );
    process.exit(result.status ?? 1);
  }
}

if (existsSync(join(root, 'node_modules', 'typescript', 'package.json'))) {
  npm(['run', 'build'], root);
} else {
  const work = mkdtempSync(join(tmpdir(), 'parapet-build-'));
  try {
    for (const name of buildInputs) {
      if (existsSync(join(root, name))) cpSync(join(root, name), join(work, name), { recursive: true });
    }
    const install = existsSync(join(work, 'package-lock.json')) ? 'ci' : 'install';
    npm([install, '--include=dev', '--ignore-scripts', '--no-audit', '--no-fund'], work);
    npm(['run', 'build'], work);
    rmSync(join(root, 'dist'), { recursive: true, force: true });
    cpSync(join(work, 'dist'), join(root, 'dist'), { recursive: true });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
