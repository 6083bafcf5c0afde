import { isMainThread } from 'node:worker_threads';
import { ParapetError } from '../model/errors.js';
import type { RegoBundle } from './bundle.js';
import { compileRego, type CompileRequest, type CompiledBundle } from './compiler.js';
import { RegoRuntime, type ModuleHandle } from './runtime.js';
import type { RegoSettings } from './settings.js';

/** A compiled module ready to evaluate, with where it came from. */
export interface PreparedModule {
  handle: ModuleHandle;
  runtime: RegoRuntime;
  /** The file errors name (directory, template, bundle). */
  file: string;
  entrypoints: string[];
  compiled?: CompiledBundle;
}

const runtimes = new Map<string, RegoRuntime>();
const prepared = new Map<string, PreparedModule>();

/**
 * Off the main thread (an evaluation thread of `parapet serve`) Rego runs inline: the calling
 * thread is itself stopped at the review's budget, and a thread per thread would double the
 * isolates the webhook's memory holds.
 */
function isolationFor(settings: RegoSettings): RegoSettings['isolation'] {
  return isMainThread ? settings.isolation : 'inline';
}

function runtimeFor(settings: RegoSettings): RegoRuntime {
  const isolation = isolationFor(settings);
  const key = `${isolation}\0${settings.timeoutMs}\0${settings.memoryLimitMiB}\0${settings.print}`;
  let runtime = runtimes.get(key);
  if (!runtime) {
    runtime = new RegoRuntime({
      isolation,
      timeoutMs: settings.timeoutMs,
      memoryLimitMiB: settings.memoryLimitMiB,
      print: settings.print ? (line) => process.stderr.write(`rego: ${line}\n`) : undefined,
    });
    runtimes.set(key, runtime);
  }
  return runtime;
}

function register(
  settings: RegoSettings,
  file: string,
  bundle: RegoBundle,
  compiled?: CompiledBundle,
): PreparedModule {
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bundle.wasm);
  } catch (error) {
    throw new ParapetError(
      'PARAPET_REGO',
      `${file}: policy.wasm is not a valid WebAssembly module (${(error as Error).message})`,
      { file },
    );
  }
  const runtime = runtimeFor(settings);
  let handle: ModuleHandle;
  try {
    handle = runtime.register(file, module, bundle.data);
  } catch (error) {
    throw new ParapetError('PARAPET_REGO', `${file}: ${(error as Error).message}`, { file, cause: error });
  }
  return { handle, runtime, file, entrypoints: handle.entrypoints, compiled };
}

/** Compile (or find) Rego sources and register the module once per content hash and settings. */
export function prepareSources(settings: RegoSettings, request: CompileRequest): PreparedModule {
  const compiled = compileRego(request, {
    cacheDir: settings.cacheDir,
    opaPath: settings.opa,
    buildTimeoutMs: settings.buildTimeoutMs,
  });
  const key = `${compiled.key}\0${settings.isolation}\0${settings.timeoutMs}\0${settings.memoryLimitMiB}\0${settings.print}`;
  const existing = prepared.get(key);
  if (existing) return existing;
  const module = register(settings, request.label, compiled.bundle, compiled);
  prepared.set(key, module);
  return module;
}

/** Register an already compiled bundle (`bundle.tar.gz`, or a bare `.wasm` wrapped as one). */
export function prepareBundle(settings: RegoSettings, bundle: RegoBundle): PreparedModule {
  return register(settings, bundle.file, bundle);
}

/** Stop every Rego worker thread (tests, embedders shutting down). */
export function closeRegoRuntimes(): void {
  for (const runtime of runtimes.values()) runtime.close();
  runtimes.clear();
  prepared.clear();
}
