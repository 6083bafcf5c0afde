import { createRequire } from 'node:module';
import type { LoadedPolicy as LoadedPolicyType } from '@open-policy-agent/opa-wasm';
import { hostBuiltins, isHostBuiltin, type BuiltinTable } from './builtins/index.js';

// The package's ESM entry only re-exports loadPolicy; LoadedPolicy is on the CommonJS export.
const require = createRequire(import.meta.url);
const { LoadedPolicy } = require('@open-policy-agent/opa-wasm') as { LoadedPolicy: typeof LoadedPolicyType };

/** 64 KiB, the WebAssembly page size. */
const pageSize = 65536;

/** A Wasm evaluation that aborted (opa_abort, an unreachable trap, out of memory) rather than answering. */
export class RegoTrap extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegoTrap';
  }
}

export interface HostOptions {
  /** Upper bound of the module's linear memory, in MiB. */
  memoryLimitMiB: number;
  /** Receives the arguments of Rego `print` calls. */
  print?: (line: string) => void;
  /** Extra or replacement builtins (tests, embedders). */
  builtins?: BuiltinTable;
}

interface OpaExports {
  opa_json_dump(addr: number): number;
  opa_json_parse(addr: number, length: number): number;
  opa_malloc(size: number): number;
  builtins(): number;
  opa_wasm_abi_version?: WebAssembly.Global | number;
  opa_wasm_abi_minor_version?: WebAssembly.Global | number;
}

function globalNumber(value: WebAssembly.Global | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'number' ? value : Number(value.value);
}

function readCString(memory: WebAssembly.Memory, addr: number): string {
  const bytes = new Uint8Array(memory.buffer);
  let end = addr;
  while (end < bytes.length && bytes[end] !== 0) end += 1;
  return new TextDecoder().decode(bytes.subarray(addr, end));
}

/** The builtin names a compiled module imports from its host (its `builtins()` table). */
export function requiredBuiltins(policy: RegoInstance): string[] {
  return [...policy.builtinNames].sort();
}

/** One instantiated Wasm policy: opa-wasm's LoadedPolicy over an import object parapet controls. */
export interface RegoInstance {
  readonly policy: LoadedPolicyType;
  readonly memory: WebAssembly.Memory;
  readonly builtinNames: Set<string>;
  /** Entrypoint name -> id. */
  readonly entrypoints: Record<string, number>;
}

/**
 * Instantiate a compiled module with a bounded memory and parapet's builtins. opa-wasm's own
 * loadPolicy cannot bound memory growth from inside the module the same way nor let parapet's
 * Go-compatible `sprintf` replace its JavaScript one, so the import object is built here and the
 * evaluation logic (ABI 1.2 fast path, heap resets) stays opa-wasm's.
 */
export function instantiate(module: WebAssembly.Module, options: HostOptions): RegoInstance {
  const maximum = Math.max(2, Math.floor((options.memoryLimitMiB * 1024 * 1024) / pageSize));
  const memory = new WebAssembly.Memory({ initial: Math.min(5, maximum), maximum });
  const table: BuiltinTable = { ...hostBuiltins, ...options.builtins };
  const builtinById = new Map<number, string>();
  // Filled right after instantiation; the import functions only run once the module is live.
  const live: { exports?: OpaExports } = {};

  const dump = (addr: number): unknown => {
    const raw = live.exports!.opa_json_dump(addr);
    return JSON.parse(readCString(memory, raw)) as unknown;
  };
  const load = (value: unknown): number => {
    if (value === undefined) return 0;
    const bytes = new TextEncoder().encode(JSON.stringify(value));
    const addr = live.exports!.opa_malloc(bytes.length);
    new Uint8Array(memory.buffer).set(bytes, addr);
    const parsed = live.exports!.opa_json_parse(addr, bytes.length);
    if (parsed === 0) throw new RegoTrap('builtin result is not valid JSON');
    return parsed;
  };
  const call = (id: number, ...argAddrs: number[]): number => {
    const name = builtinById.get(id) ?? `#${id}`;
    const args = argAddrs.map(dump);
    if (name === 'internal.print') {
      options.print?.(printLine(args[0]));
      return 0;
    }
    const impl = table[name];
    if (!impl) throw new RegoTrap(`builtin ${name} is not implemented`);
    let result: unknown;
    try {
      result = impl(...args);
    } catch {
      // OPA's default (non-strict) builtin errors make the expression undefined instead of failing the query.
      return 0;
    }
    return load(result);
  };

  const imports = {
    env: {
      memory,
      opa_abort: (addr: number) => {
        throw new RegoTrap(`policy aborted: ${readCString(memory, addr)}`);
      },
      opa_println: (addr: number) => options.print?.(readCString(memory, addr)),
      opa_builtin0: (id: number) => call(id),
      opa_builtin1: (id: number, _ctx: number, a: number) => call(id, a),
      opa_builtin2: (id: number, _ctx: number, a: number, b: number) => call(id, a, b),
      opa_builtin3: (id: number, _ctx: number, a: number, b: number, c: number) => call(id, a, b, c),
      opa_builtin4: (id: number, _ctx: number, a: number, b: number, c: number, d: number) =>
        call(id, a, b, c, d),
    },
  };

  const instance = new WebAssembly.Instance(module, imports);
  const exports = instance.exports as unknown as OpaExports;
  live.exports = exports;
  const major = globalNumber(exports.opa_wasm_abi_version);
  const minor = globalNumber(exports.opa_wasm_abi_minor_version) ?? 0;
  if (major !== 1) throw new RegoTrap(`unsupported OPA Wasm ABI version ${String(major)}`);
  const builtinIds = dump(exports.builtins()) as Record<string, number>;
  for (const [name, id] of Object.entries(builtinIds)) builtinById.set(id, name);
  const builtinNames = new Set(Object.keys(builtinIds));
  const missing = [...builtinNames].filter((name) => !isHostBuiltin(name) && !Object.hasOwn(table, name));
  if (missing.length > 0)
    throw new RegoTrap(`the policy uses builtins parapet does not provide: ${missing.sort().join(', ')}`);

  // LoadedPolicy accepts a bare Instance as well as an instantiated source (it reads `.instance` if present).
  const policy = new LoadedPolicy(
    instance as unknown as WebAssembly.WebAssemblyInstantiatedSource,
    memory,
    minor,
  );
  return { policy, memory, builtinNames, entrypoints: policy.entrypoints as Record<string, number> };
}

function printLine(arg: unknown): string {
  // internal.print receives an array of sets (one per argument), each holding the possible values.
  if (!Array.isArray(arg)) return String(arg);
  return arg
    .map((values: unknown) => {
      if (!Array.isArray(values) || values.length === 0) return '<undefined>';
      const [value] = values as unknown[];
      return typeof value === 'string' ? value : JSON.stringify(value);
    })
    .join(' ');
}

/** Evaluate an entrypoint; traps and aborts surface as RegoTrap, never as raw WebAssembly errors. */
export function evaluateInstance(instance: RegoInstance, entrypoint: string, input: unknown): unknown[] {
  try {
    return instance.policy.evaluate(input, entrypoint) as unknown[];
  } catch (error) {
    if (error instanceof RegoTrap) throw error;
    if (error instanceof RangeError)
      throw new RegoTrap(`policy exceeded its memory limit (${describe(error)})`);
    if (error instanceof WebAssembly.RuntimeError) throw new RegoTrap(`policy trapped: ${describe(error)}`);
    throw new RegoTrap(describe(error));
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return String(error);
}

export { hostBuiltins };
