import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, sep } from 'node:path';
import { ParapetError } from '../model/errors.js';
import { parseBundle, type RegoBundle } from './bundle.js';

/** The OPA release parapet's CI builds with; documented in the install hint. */
export const opaVersion = 'v1.22.3';

export const opaInstallHint = `install it with \`go install github.com/open-policy-agent/opa@${opaVersion}\` (or put it on PATH, or set PARAPET_OPA), or supply a compiled bundle (\`parapet rego build\`, or \`opa build -t wasm\`)`;

/** Rego language version: `v1` (OPA 1.x, `if`/`contains` required), `v0` (pre-1.0 syntax), or `auto` (try v1, then v0). */
export type RegoVersion = 'v0' | 'v1' | 'auto';

export interface RegoSourceFile {
  /** Where the source lives, as the user should see it in errors (`policy/deny.rego`, `templates/x.yaml (rego)`). */
  displayPath: string;
  /** Path inside the compilation tree (must end in `.rego`). */
  path: string;
  text: string;
}

export interface CompileRequest {
  /** What is being compiled, for errors: a directory or a template file. */
  label: string;
  /** Short name used in the compiled file's name (`conftest-main`, `k8srequiredlabels`). */
  name: string;
  sources: RegoSourceFile[];
  entrypoints: string[];
  version: RegoVersion;
  /** Data documents compiled into the bundle's data.json. */
  data?: Record<string, unknown>;
  /** Directories holding committed compiled bundles (`<name>-<key>.tar.gz`), searched before compiling. */
  prebuiltDirs: string[];
}

export interface CompilerOptions {
  /** Where compiled bundles are cached by content hash. */
  cacheDir: string;
  /** The `opa` binary, if configured; otherwise PATH and parapet's CI cache are searched. */
  opaPath?: string;
  /** Upper bound for one `opa build`, in milliseconds. */
  buildTimeoutMs: number;
}

export interface CompiledBundle {
  bundle: RegoBundle;
  /** The bundle archive itself, for `parapet rego build` to commit. */
  bytes: Buffer;
  key: string;
  /** Where the Wasm came from: a committed bundle, the cache, or a fresh `opa build`. */
  origin: 'prebuilt' | 'cache' | 'opa';
  /** The Rego version the sources compiled under (`auto` resolves to one of the two). */
  version: 'v0' | 'v1';
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The `opa` binary to compile with, or undefined when there is none. */
export function findOpa(configured?: string): string | undefined {
  const wanted = configured ?? process.env.PARAPET_OPA;
  // A path is used as it is; a bare name (`opa`, `opa-1.22`) is looked up on PATH.
  if (wanted && wanted.includes(sep)) return isExecutable(wanted) ? wanted : undefined;
  const name = wanted || 'opa';
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  if (wanted) return undefined;
  const ciCache = '/var/cache/parapet/bin/opa';
  return isExecutable(ciCache) ? ciCache : undefined;
}

/** The content hash naming a compilation: sources, entrypoints, data and language version. */
export function compileKey(request: CompileRequest): string {
  const hash = createHash('sha256');
  hash.update('parapet-rego-wasm/1\0');
  hash.update(`${request.version}\0${[...request.entrypoints].sort().join(',')}\0`);
  hash.update(JSON.stringify(request.data ?? {}));
  for (const source of [...request.sources].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
  )) {
    hash.update(`\0${source.path}\0${source.text}`);
  }
  return hash.digest('hex').slice(0, 24);
}

/** The file name a compiled bundle is stored under, in the cache and in committed `compiled/` folders. */
export function bundleFileName(name: string, key: string): string {
  return `${name.replace(/[^a-zA-Z0-9_.-]+/g, '-')}-${key}.tar.gz`;
}

function findStored(dirs: string[], key: string): string | undefined {
  const suffix = `-${key}.tar.gz`;
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    const hit = names.find((name) => name.endsWith(suffix));
    if (hit) return join(dir, hit);
  }
  return undefined;
}

function loadStored(file: string, expected: string[]): { bundle: RegoBundle; bytes: Buffer } {
  const bytes = readFileSync(file);
  const bundle = parseBundle(file, bytes);
  const missing = expected.filter((entry) => !bundle.entrypoints.includes(entry));
  if (missing.length > 0) {
    throw new ParapetError(
      'PARAPET_REGO',
      `${file}: compiled bundle lacks entrypoint ${missing.join(', ')}`,
      { file },
    );
  }
  return { bundle, bytes };
}

function storedVersion(bundle: RegoBundle, requested: RegoVersion): 'v0' | 'v1' {
  const metadata = bundle.manifest?.metadata as Record<string, unknown> | undefined;
  const recorded = (metadata?.parapet as Record<string, unknown> | undefined)?.regoVersion;
  if (recorded === 'v0' || recorded === 'v1') return recorded;
  return requested === 'v0' ? 'v0' : 'v1';
}

/**
 * OPA prints `<file>:<line>: rego_parse_error: ...` with paths in the scratch directory; rewrite them
 * to the user's paths and keep the first few errors on one line.
 */
function opaErrorSummary(output: string, scratch: string, sources: RegoSourceFile[]): string {
  let text = output;
  for (const source of sources) text = text.split(join(scratch, source.path)).join(source.displayPath);
  text = text.split(scratch + sep).join('');
  // `opa build` wraps loader errors in "load error: bundle <dir>: N errors occurred during loading:".
  text = text.replace(
    /(?:error: )?(?:load error: )?(?:bundle \S+: )?\d+ errors? occurred(?: during loading)?:?\s*/g,
    '\n',
  );
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(
      (line) =>
        line &&
        !/^\d+ errors? occurred/.test(line) &&
        !/^error: \d+ errors? occurred:?$/.test(line) &&
        !/^\^/.test(line),
    );
  const errors = lines.filter((line) => /rego_[a-z_]+_error|error:/.test(line));
  const chosen = (errors.length > 0 ? errors : lines).slice(0, 3).map((line) => line.replace(/^error: /, ''));
  return chosen.join('; ') || 'opa build failed';
}

function runOpaBuild(
  opa: string,
  request: CompileRequest,
  version: 'v0' | 'v1',
  options: CompilerOptions,
): { bytes?: Buffer; error?: string } {
  const scratch = mkdtempSync(join(tmpdir(), 'parapet-rego-'));
  try {
    const tree = join(scratch, 'src');
    for (const source of request.sources) {
      const target = join(tree, source.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, source.text);
    }
    if (request.data && Object.keys(request.data).length > 0)
      writeFileSync(join(tree, 'data.json'), JSON.stringify(request.data));
    // The manifest's metadata records the language version, so a committed bundle carries it.
    writeFileSync(
      join(tree, '.manifest'),
      JSON.stringify({ roots: [''], metadata: { parapet: { regoVersion: version, name: request.name } } }),
    );
    const out = join(scratch, 'bundle.tar.gz');
    const args = ['build', '-t', 'wasm', '-b', '-o', out];
    for (const entrypoint of request.entrypoints) args.push('-e', entrypoint);
    if (version === 'v0') args.push('--v0-compatible');
    args.push(tree);
    try {
      execFileSync(opa, args, {
        cwd: scratch,
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: options.buildTimeoutMs,
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (error) {
      const failure = error as { stderr?: Buffer; stdout?: Buffer; signal?: string; message: string };
      if (failure.signal === 'SIGTERM')
        return { error: `opa build took longer than ${options.buildTimeoutMs} ms` };
      const output = `${failure.stderr?.toString() ?? ''}\n${failure.stdout?.toString() ?? ''}`;
      return {
        error: opaErrorSummary(
          output.trim() ? output : failure.message,
          join(scratch, 'src'),
          request.sources,
        ),
      };
    }
    return { bytes: readFileSync(out) };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function looksLikeV1(sources: RegoSourceFile[]): boolean {
  return sources.some(
    (source) =>
      /^\s*import\s+rego\.v1\b/m.test(source.text) || /\b(contains|if)\b[^\n]*\{?\s*$/m.test(source.text),
  );
}

function storeInCache(cacheDir: string, name: string, key: string, bytes: Buffer): void {
  try {
    mkdirSync(cacheDir, { recursive: true });
    const target = join(cacheDir, bundleFileName(name, key));
    const temporary = `${target}.${process.pid}.tmp`;
    writeFileSync(temporary, bytes);
    // rename is atomic, so concurrent parapet runs never read a half-written bundle.
    renameSync(temporary, target);
  } catch {
    // A read-only cache only costs a recompilation next time.
  }
}

/**
 * Compile Rego sources to a Wasm bundle, or find the result of an earlier compilation: first a
 * committed bundle beside the policies, then the cache, then `opa build -t wasm`.
 */
export function compileRego(request: CompileRequest, options: CompilerOptions): CompiledBundle {
  const versions: Array<'v0' | 'v1'> = request.version === 'auto' ? ['v1', 'v0'] : [request.version];
  // The lookup key uses the requested version, so `auto` sources find their earlier result whichever version won.
  const key = compileKey(request);
  const prebuilt = findStored(request.prebuiltDirs, key);
  if (prebuilt) {
    const { bundle, bytes } = loadStored(prebuilt, request.entrypoints);
    return { bundle, bytes, key, origin: 'prebuilt', version: storedVersion(bundle, request.version) };
  }
  const cached = findStored([options.cacheDir], key);
  if (cached) {
    try {
      const { bundle, bytes } = loadStored(cached, request.entrypoints);
      return { bundle, bytes, key, origin: 'cache', version: storedVersion(bundle, request.version) };
    } catch {
      rmSync(cached, { force: true });
    }
  }

  const opa = findOpa(options.opaPath);
  if (!opa) {
    const stale = request.prebuiltDirs.some(
      (dir) => existsSync(dir) && readdirSync(dir).some((name) => name.startsWith(`${request.name}-`)),
    );
    const why = stale ? 'its compiled bundle is out of date with the sources and ' : '';
    throw new ParapetError(
      'PARAPET_REGO',
      `${request.label}: ${why}compiling Rego needs the opa CLI, which is not installed; ${opaInstallHint}`,
      {
        file: request.label,
      },
    );
  }

  const failures: Array<{ version: 'v0' | 'v1'; error: string }> = [];
  for (const version of versions) {
    const result = runOpaBuild(opa, request, version, options);
    if (result.bytes) {
      storeInCache(options.cacheDir, request.name, key, result.bytes);
      return {
        bundle: parseBundle(request.label, result.bytes),
        bytes: result.bytes,
        key,
        origin: 'opa',
        version,
      };
    }
    failures.push({ version, error: result.error ?? 'opa build failed' });
    // Only a syntax difference is worth a second try under the other language version.
    if (!/rego_parse_error/.test(result.error ?? '')) break;
  }
  const preferred = failures.length > 1 && !looksLikeV1(request.sources) ? failures[1]! : failures[0]!;
  throw new ParapetError('PARAPET_REGO', `${request.label}: Rego does not compile: ${preferred.error}`, {
    file: request.label,
  });
}

/** Copy a compiled bundle next to the policies, so machines without opa can load them (`parapet rego build`). */
export function writePrebuilt(dir: string, compiled: CompiledBundle, name: string): string {
  mkdirSync(dir, { recursive: true });
  for (const old of readdirSync(dir)) {
    if (old.startsWith(`${name}-`) && old.endsWith('.tar.gz') && old !== bundleFileName(name, compiled.key))
      rmSync(join(dir, old));
  }
  const target = join(dir, bundleFileName(name, compiled.key));
  writeFileSync(target, compiled.bytes);
  return relative(process.cwd(), target) || target;
}
