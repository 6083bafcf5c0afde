import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { siblingModule, startModuleWorker } from '../engine/worker-thread.js';
import { ModuleEvaluator, type ModuleSpec, type Outcome } from './evaluator.js';
import { instantiate } from './host.js';
import type { WorkerReply, WorkerRequest } from './worker.js';

export type { Outcome } from './evaluator.js';

/**
 * - `worker`: evaluate in a worker thread; an evaluation past its time budget is stopped by
 *   terminating the worker (the default: a runaway policy cannot hold the webhook).
 * - `inline`: evaluate on the calling thread; memory is still bounded, time is not.
 */
export type RegoIsolation = 'worker' | 'inline';

export interface RuntimeOptions {
  isolation: RegoIsolation;
  /** Longest one evaluation (one input against one entrypoint) may run, in milliseconds. */
  timeoutMs: number;
  /** Linear memory limit of each module, in MiB. */
  memoryLimitMiB: number;
  /** Receives Rego `print` output. */
  print?: (line: string) => void;
  /** How long a new worker may take to start before Rego evaluation is declared broken. */
  startupTimeoutMs?: number;
}

/** A module registered with the runtime; evaluate through `RegoRuntime.evaluate`. */
export interface ModuleHandle {
  readonly id: number;
  readonly file: string;
  readonly entrypoints: string[];
}

function spawnWorker(port: MessagePort, progress: Int32Array): Worker {
  return startModuleWorker(siblingModule(import.meta.url, 'worker'), {
    workerData: { port, progress },
    transferList: [port],
  });
}

interface WorkerState {
  worker: Worker;
  port: MessagePort;
  progress: Int32Array;
}

/**
 * Evaluates compiled Rego modules with bounded memory and, in `worker` isolation, a time budget per
 * evaluation. The API is synchronous (rules evaluate synchronously); the worker is driven through
 * a shared counter and `receiveMessageOnPort`, so the calling thread waits while Rego runs: in
 * `parapet serve` that is an evaluation thread, never the thread answering HTTP.
 */
export class RegoRuntime {
  private readonly specs = new Map<number, ModuleSpec>();
  private readonly inline: ModuleEvaluator;
  private state: WorkerState | undefined;
  private nextHandle = 1;
  private nextRequest = 1;

  constructor(readonly options: RuntimeOptions) {
    this.inline = new ModuleEvaluator(options.print);
  }

  /**
   * Register a compiled module. It is instantiated once here so that a module needing a builtin
   * parapet lacks, or with a broken ABI, fails at load with its file named, not on every input.
   */
  register(file: string, module: WebAssembly.Module, data: Record<string, unknown>): ModuleHandle {
    const probe = instantiate(module, { memoryLimitMiB: this.options.memoryLimitMiB });
    if (Object.keys(data).length > 0) probe.policy.setData(data);
    const id = this.nextHandle++;
    const spec: ModuleSpec = { module, data, memoryLimitMiB: this.options.memoryLimitMiB, file };
    this.specs.set(id, spec);
    if (this.options.isolation === 'inline') this.inline.load(id, spec);
    else if (this.state) this.post({ type: 'load', handle: id, spec });
    return { id, file, entrypoints: Object.keys(probe.entrypoints) };
  }

  /** Replace a module's data document for the evaluations that follow. */
  setData(handle: ModuleHandle, data: Record<string, unknown>): void {
    const spec = this.specs.get(handle.id);
    if (!spec) return;
    this.specs.set(handle.id, { ...spec, data });
    if (this.options.isolation === 'inline') this.inline.setData(handle.id, data);
    else if (this.state) this.post({ type: 'data', handle: handle.id, data });
  }

  /** Evaluate `entrypoint` for each input; one outcome per input, in order. */
  evaluate(handle: ModuleHandle, entrypoint: string, inputs: unknown[]): Outcome[] {
    if (inputs.length === 0) return [];
    if (this.options.isolation === 'inline')
      return inputs.map((input) => this.inline.evaluate(handle.id, entrypoint, input));
    return this.evaluateInWorker(handle, entrypoint, inputs);
  }

  /** Stop the worker thread (idempotent). */
  close(): void {
    const state = this.state;
    this.state = undefined;
    if (state) {
      state.port.close();
      void state.worker.terminate();
    }
  }

  private post(request: WorkerRequest): void {
    this.state!.port.postMessage(request);
  }

  private start(): WorkerState {
    const { port1, port2 } = new MessageChannel();
    const progress = new Int32Array(new SharedArrayBuffer(4));
    const worker = spawnWorker(port2, progress);
    worker.unref();
    // A crashed worker is noticed by the next evaluation timing out; keep the error from going unhandled.
    worker.on('error', () => undefined);
    const state = { worker, port: port1, progress };
    this.state = state;
    for (const [handle, spec] of this.specs) this.post({ type: 'load', handle, spec });
    // Startup (and module instantiation) is not charged to the first evaluation's budget.
    const id = this.nextRequest++;
    this.post({ type: 'ping', id });
    const deadline = Date.now() + (this.options.startupTimeoutMs ?? 60_000);
    for (;;) {
      const reply = this.receive(state);
      if (reply?.type === 'pong' && reply.id === id) return state;
      if (reply) continue;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        this.close();
        throw new Error('the Rego worker thread did not start');
      }
      Atomics.wait(progress, 0, Atomics.load(progress, 0), Math.min(remaining, 1000));
    }
  }

  private receive(state: WorkerState): WorkerReply | undefined {
    for (;;) {
      const message = receiveMessageOnPort(state.port)?.message as
        WorkerReply | { type: 'print'; line: string } | undefined;
      if (message?.type === 'print') {
        this.options.print?.(message.line);
        continue;
      }
      return message;
    }
  }

  private evaluateInWorker(handle: ModuleHandle, entrypoint: string, inputs: unknown[]): Outcome[] {
    const outcomes: Outcome[] = new Array<Outcome>(inputs.length);
    // JSON text crosses the thread boundary far cheaper than a structured clone of the object graph,
    // and serialising chunk n+1 here while the worker evaluates chunk n uses both cores.
    const texts: string[] = [];
    const chunk = 128;
    let done = 0;
    let posted = 0;
    let state = this.state ?? this.start();
    let id = this.nextRequest++;
    const postNext = () => {
      const end = Math.min(inputs.length, posted + chunk);
      for (let i = texts.length; i < end; i += 1) texts.push(JSON.stringify(inputs[i]) ?? 'null');
      this.post({
        type: 'eval',
        id,
        handle: handle.id,
        entrypoint,
        inputs: texts.slice(posted, end),
        offset: posted,
      });
      posted = end;
    };
    postNext();
    let lastProgress = Date.now();
    while (done < inputs.length) {
      if (posted < inputs.length && posted - done <= chunk) {
        postNext();
        continue;
      }
      const reply = this.receive(state);
      if (reply?.type === 'result' && reply.id === id) {
        outcomes[reply.index] = reply.outcome;
        done += 1;
        lastProgress = Date.now();
        continue;
      }
      if (reply) continue;
      const remaining = this.options.timeoutMs - (Date.now() - lastProgress);
      if (remaining > 0) {
        Atomics.wait(state.progress, 0, Atomics.load(state.progress, 0), remaining);
        continue;
      }
      // The input at `done` has run out of time: stop the thread, answer it, go on with the rest.
      outcomes[done] = {
        ok: false,
        error: `evaluation exceeded its time budget of ${this.options.timeoutMs} ms`,
        reason: 'timeout',
      };
      done += 1;
      this.close();
      if (done >= inputs.length) break;
      state = this.start();
      id = this.nextRequest++;
      posted = done;
      postNext();
      lastProgress = Date.now();
    }
    return outcomes;
  }
}
