/**
 * The WebAssembly JS API that Node provides at runtime. TypeScript only declares it in the DOM lib,
 * which this project does not load (it would type browser globals too), so the subset the Rego
 * backend uses is declared here.
 */
declare global {
  namespace WebAssembly {
    class Module {
      constructor(bytes: ArrayBufferView | ArrayBuffer);
      static imports(module: Module): Array<{ module: string; name: string; kind: string }>;
      static exports(module: Module): Array<{ name: string; kind: string }>;
    }
    interface MemoryDescriptor {
      initial: number;
      maximum?: number;
      shared?: boolean;
    }
    class Memory {
      constructor(descriptor: MemoryDescriptor);
      readonly buffer: ArrayBuffer;
      grow(delta: number): number;
    }
    class Global {
      value: unknown;
    }
    type ImportValue = ((...args: never[]) => unknown) | Memory | Global | number;
    type Imports = Record<string, Record<string, ImportValue>>;
    class Instance {
      constructor(module: Module, imports?: Imports);
      readonly exports: Record<string, unknown>;
    }
    interface WebAssemblyInstantiatedSource {
      instance: Instance;
      module: Module;
    }
    class RuntimeError extends Error {}
    class CompileError extends Error {}
    class LinkError extends Error {}
    function validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
  }
}

export {};
