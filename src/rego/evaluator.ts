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
 * Holds instantiated modules and evaluates them. Used directly in `inline` isolation and inside
 * the worker thread otherwise. After a trap the instance is rebuilt, so a module left in a broken
 * state by one input never answers for the next.
 */
export class ModuleEvaluator {
  private readonly specs = new Map<number, ModuleSpec>();
  private readonly instances = new Map<number, RegoInstance>();
  private readonly loadErrors = new Map<number, string>();

  constructor(private readonly print?: (line: string) => void) {}

  /** Register a module; instantiation errors are kept and reported by every evaluation of it. */
  load(handle: number, spec: ModuleSpec): string | undefined {
    this.specs.set(handle, spec);
    this.instances.delete(handle);
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
      this.instances.delete(handle);
    }
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
      return { ok: true, result: evaluateInstance(instance, entrypoint, input) };
    } catch (error) {
      this.instances.delete(handle);
      const message = error instanceof Error ? error.message : String(error);
      const reason = /memory limit|out of memory|opa_malloc/i.test(message) ? 'memory' : 'trap';
      return { ok: false, error: error instanceof RegoTrap ? message : `policy failed: ${message}`, reason };
    }
  }
}
