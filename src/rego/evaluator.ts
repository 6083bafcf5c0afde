import { evaluateInstance, instantiate, RegoTrap, type RegoInstance } from './host.js';

/** What one evaluation of one input produced. */
export type Outcome =
  | { ok: true; result: unknown[] }
  | { ok: false; error: string; reason: 'trap' | 'timeout' | 'memory' | 'load' };

export interface ModuleSpec {
  module: WebAssembly.Module;
  data: Record<string, unknown>;
  memoryLimitMiB: number;
  /** For messages: the policy file the module came from. */
  file: string;
}

/**
 * Growth of a module's linear memory past its size at its first evaluation (data loaded) that makes the
 * evaluator drop the instance after the evaluation: Wasm memory never shrinks, so one large input
 * would otherwise keep its peak (up to the module's limit) for the life of the thread. A new
 * instance of the compiled module costs far less than an evaluation that needed that much.
 */
export const RECYCLE_GROWTH_BYTES = 8 * 1024 * 1024;

/**
 * Holds instantiated modules and evaluates them. Used directly in `inline` isolation and inside
 * the worker thread otherwise. After a trap the instance is rebuilt, so a module left in a broken
 * state by one input never answers for the next; after an evaluation that grew its memory by more
 * than {@link RECYCLE_GROWTH_BYTES}, too.
 */
export class ModuleEvaluator {
  private readonly specs = new Map<number, ModuleSpec>();
  private readonly instances = new Map<number, RegoInstance>();
  /** Memory size of each instance at its first evaluation (its data loaded). */
  private readonly loadedBytes = new Map<number, number>();
  private readonly loadErrors = new Map<number, string>();

  constructor(private readonly print?: (line: string) => void) {}

  /** Register a module; instantiation errors are kept and reported by every evaluation of it. */
  load(handle: number, spec: ModuleSpec): string | undefined {
    this.specs.set(handle, spec);
    this.drop(handle);
    this.loadErrors.delete(handle);
    try {
      this.instances.set(handle, this.instantiate(spec));
      return undefined;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.loadErrors.set(handle, message);
      return message;
    }
  }

  /** Replace a module's data document (Gatekeeper's inventory changes with every run). */
  setData(handle: number, data: Record<string, unknown>): void {
    const spec = this.specs.get(handle);
    if (!spec) return;
    this.specs.set(handle, { ...spec, data });
    const instance = this.instances.get(handle);
    if (!instance) return;
    try {
      instance.policy.setData(data);
    } catch {
      // A data document past the memory limit: the next evaluation re-instantiates and reports it.
      this.drop(handle);
    }
  }

  /** Linear memory held by the live instances, in bytes. */
  memoryBytes(): number {
    let total = 0;
    for (const instance of this.instances.values()) total += instance.memory.buffer.byteLength;
    return total;
  }

  private drop(handle: number): void {
    this.instances.delete(handle);
    this.loadedBytes.delete(handle);
  }

  private instantiate(spec: ModuleSpec): RegoInstance {
    const instance = instantiate(spec.module, { memoryLimitMiB: spec.memoryLimitMiB, print: this.print });
    if (Object.keys(spec.data).length > 0) instance.policy.setData(spec.data);
    return instance;
  }

  evaluate(handle: number, entrypoint: string, input: unknown): Outcome {
    const loadError = this.loadErrors.get(handle);
    if (loadError) return { ok: false, error: loadError, reason: 'load' };
    const spec = this.specs.get(handle);
    if (!spec) return { ok: false, error: 'module is not loaded', reason: 'load' };
    let instance = this.instances.get(handle);
    try {
      if (!instance) {
        instance = this.instantiate(spec);
        this.instances.set(handle, instance);
      }
      if (!this.loadedBytes.has(handle)) this.loadedBytes.set(handle, instance.memory.buffer.byteLength);
      const result = evaluateInstance(instance, entrypoint, input);
      if (instance.memory.buffer.byteLength - this.loadedBytes.get(handle)! > RECYCLE_GROWTH_BYTES)
        this.drop(handle);
      return { ok: true, result };
    } catch (error) {
      this.drop(handle);
      const message = error instanceof Error ? error.message : String(error);
      const reason = /memory limit|out of memory|opa_malloc/i.test(message) ? 'memory' : 'trap';
      return { ok: false, error: error instanceof RegoTrap ? message : `policy failed: ${message}`, reason };
    }
  }
}
