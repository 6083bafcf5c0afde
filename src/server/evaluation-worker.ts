/**
 * An evaluation thread of `parapet serve`: loads the policies with the same configuration as the
 * server (the loader named in `workerData`), then answers one review at a time. The HTTP thread
 * stops it with `worker.terminate()` when a review outlives its budget, which stops synchronous
 * JavaScript and WebAssembly alike.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Engine } from '../engine/engine.js';
import { describeError, ParapetError } from '../model/errors.js';
import type { AdmissionRoute } from './admission.js';
import {
  admissionContext,
  answerReview,
  policyCatalogue,
  type PolicyCatalogue,
  type ReviewAnswer,
  type ReviewHeader,
} from './review-job.js';
import type { NamespaceLabelEntries } from './namespace-labels.js';
import type { ServerSettings } from './settings.js';

/** Where an evaluation thread gets its engine: `export` of the module at `module`, called with `data`. */
export interface EngineLoader {
  module: string;
  export: string;
  /** Structured-cloneable argument of the loader (the command's options). */
  data: unknown;
}

export interface EvaluationWorkerData {
  loader: EngineLoader;
  settings: ServerSettings;
}

export type EvaluationRequest =
  | { type: 'decide'; id: number; route: AdmissionRoute; body: Uint8Array }
  /** The cluster's Namespaces and their labels, replacing the previous snapshot. */
  | { type: 'namespaces'; entries: NamespaceLabelEntries };

export type EvaluationReply =
  | { type: 'ready'; catalogue: PolicyCatalogue }
  | { type: 'failed'; error: { code?: string; message: string } }
  | { type: 'header'; id: number; header: ReviewHeader }
  | { type: 'answer'; id: number; answer: ReviewAnswer }
  | { type: 'error'; id: number; message: string };

async function main(): Promise<void> {
  const port = parentPort!;
  const data = workerData as EvaluationWorkerData;
  const post = (reply: EvaluationReply) => port.postMessage(reply);
  let engine: Engine;
  try {
    const module = (await import(data.loader.module)) as Record<string, unknown>;
    const load = module[data.loader.export];
    if (typeof load !== 'function') throw new Error(`${data.loader.module} has no ${data.loader.export}()`);
    engine = await (load as (value: unknown) => Promise<Engine>)(data.loader.data);
  } catch (error) {
    post({
      type: 'failed',
      error: { code: error instanceof ParapetError ? error.code : undefined, message: describeError(error) },
    });
    return;
  }
  let namespaces: ReadonlyMap<string, Record<string, string>> | undefined;
  const ctx = admissionContext(engine, data.settings, (name) => namespaces?.get(name));
  port.on('message', (request: EvaluationRequest) => {
    if (request.type === 'namespaces') {
      namespaces = new Map(request.entries);
      return;
    }
    if (request.type !== 'decide') return;
    const { id } = request;
    answerReview(request.route, request.body, ctx, performance.now(), {
      budget: false,
      onHeader: (header) => post({ type: 'header', id, header }),
    }).then(
      (answer) => post({ type: 'answer', id, answer }),
      (error: unknown) => post({ type: 'error', id, message: describeError(error) }),
    );
  });
  post({ type: 'ready', catalogue: policyCatalogue(engine) });
}

void main();
