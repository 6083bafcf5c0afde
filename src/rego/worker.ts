/**
 * The Rego evaluation thread. The main thread blocks on a shared counter while this thread runs
 * the Wasm; when an evaluation outlives its time budget the main thread terminates this worker,
 * which is the only way to stop a running WebAssembly function.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { ModuleEvaluator, type ModuleSpec } from './evaluator.js';

interface WorkerData {
  port: MessagePort;
  progress: Int32Array;
}

export type WorkerRequest =
  | { type: 'load'; handle: number; spec: ModuleSpec }
  | { type: 'ping'; id: number }
  | { type: 'data'; handle: number; data: Record<string, unknown> }
  /** `inputs` are JSON texts; opa-wasm takes the UTF-8 bytes as they are. */
  | { type: 'eval'; id: number; handle: number; entrypoint: string; inputs: string[]; offset: number };

export type WorkerReply =
  | { type: 'pong'; id: number }
  | { type: 'loaded'; handle: number; error?: string }
  | { type: 'result'; id: number; index: number; outcome: import('./evaluator.js').Outcome };

const { port, progress } = workerData as WorkerData;
const encoder = new TextEncoder();
const evaluator = new ModuleEvaluator((line) => port.postMessage({ type: 'print', line }));

function signal(): void {
  Atomics.add(progress, 0, 1);
  Atomics.notify(progress, 0);
}

port.on('message', (request: WorkerRequest) => {
  switch (request.type) {
    case 'load':
      port.postMessage({
        type: 'loaded',
        handle: request.handle,
        error: evaluator.load(request.handle, request.spec),
      } satisfies WorkerReply);
      break;
    case 'data':
      evaluator.setData(request.handle, request.data);
      break;
    case 'ping':
      port.postMessage({ type: 'pong', id: request.id } satisfies WorkerReply);
      signal();
      break;
    case 'eval':
      request.inputs.forEach((input, i) => {
        const outcome = evaluator.evaluate(request.handle, request.entrypoint, encoder.encode(input).buffer);
        port.postMessage({
          type: 'result',
          id: request.id,
          index: request.offset + i,
          outcome,
        } satisfies WorkerReply);
        signal();
      });
      break;
  }
});
