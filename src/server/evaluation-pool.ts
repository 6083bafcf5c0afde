/**
 * The evaluation threads of `parapet serve`. The HTTP thread only reads bodies, queues them and
 * answers; policies run in a pool of worker threads, one review per thread at a time. Each review
 * has a hard deadline (the budget, counted from its arrival): a review still queued then is
 * answered without evaluation, and one still running is answered too; its thread is terminated,
 * which stops synchronous JavaScript and WebAssembly alike, and replaced once the review has run
 * for a whole budget itself. Either way the review gets the configured failure decision, and
 * probes and other reviews keep being answered meanwhile. A replacement loads its policies again
 * (a second or two) while the other threads go on.
 */
import type { Worker } from 'node:worker_threads';
import { needsTypescriptLoader, siblingModule, startModuleWorker } from '../engine/worker-thread.js';
import { ParapetError } from '../model/errors.js';
import { failureResponse, type AdmissionRoute } from './admission.js';
import { scanBody } from './body-scan.js';
import type {
  EngineLoader,
  EvaluationReply,
  EvaluationRequest,
  EvaluationWorkerData,
} from './evaluation-worker.js';
import type { NamespaceLabelEntries } from './namespace-labels.js';
import { scannedHeader, type PolicyCatalogue, type ReviewAnswer, type ReviewHeader } from './review-job.js';
import type { ServerSettings } from './settings.js';

export interface EvaluationPoolOptions {
  loader: EngineLoader;
  settings: ServerSettings;
}

export type PoolEvent =
  | { event: 'thread-stopped'; reason: 'budget-exceeded' | 'crashed'; uid?: string; error?: string }
  | { event: 'thread-load-failed'; error: string };

/** What a stopped review is answered with; `reason` says why for the metrics. */
export type PoolAnswer = ReviewAnswer | { type: 'unavailable'; message: string; budgetExceeded: boolean };

interface Job {
  id: number;
  route: AdmissionRoute;
  body: Uint8Array;
  started: number;
  /** When a thread took it (performance.now()). */
  dispatched?: number;
  /** Answered already (the failure decision at its deadline) while its thread goes on. */
  answered?: boolean;
  header?: ReviewHeader;
  thread?: Thread;
  timer?: NodeJS.Timeout;
  resolve(answer: PoolAnswer): void;
}

interface Thread {
  worker: Worker;
  state: 'loading' | 'idle' | 'busy' | 'gone';
  job?: Job;
}

const LOAD_RETRY_MS = [1000, 2000, 5000, 10_000, 30_000];

/** Runs reviews in worker threads, each with a hard deadline. */
export class EvaluationPool {
  /** Resolves with the library once the first thread has loaded it; rejects when it cannot. */
  readonly ready: Promise<PolicyCatalogue>;
  private readonly threads = new Set<Thread>();
  private readonly queue: Job[] = [];
  private readonly workerUrl = siblingModule(import.meta.url, 'evaluation-worker');
  private nextId = 1;
  private closed = false;
  private loadFailures = 0;
  private resolveReady!: (catalogue: PolicyCatalogue) => void;
  private rejectReady!: (error: Error) => void;
  private isReady = false;
  private readonly listeners: Array<(event: PoolEvent) => void> = [];
  /** Threads terminated at the budget or lost to a crash, since the start. */
  replaced = 0;
  /** The latest snapshot of the cluster's Namespaces, given to every thread that loads. */
  private namespaces?: EvaluationRequest & { type: 'namespaces' };

  constructor(private readonly options: EvaluationPoolOptions) {
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined);
  }

  /** Starts the threads (idempotent). The others start once the first has loaded: it is ready sooner with the CPU to itself. */
  start(): this {
    if (this.threads.size === 0 && !this.isReady && !this.closed) this.spawn();
    return this;
  }

  /** Calls `listener` for thread events worth a log line and a metric (stopped, failed to load). */
  subscribe(listener: (event: PoolEvent) => void): void {
    this.listeners.push(listener);
  }

  private emit(event: PoolEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** Gives every thread, and every thread started later, the labels of the cluster's Namespaces. */
  setNamespaceLabels(entries: NamespaceLabelEntries): void {
    this.namespaces = { type: 'namespaces', entries };
    for (const thread of this.threads)
      if (thread.state === 'idle' || thread.state === 'busy') thread.worker.postMessage(this.namespaces);
  }

  /** Reviews waiting for a thread. */
  get queued(): number {
    return this.queue.length;
  }

  /** Answers one request body on `route`, by `started` (performance.now()) + the budget at the latest. */
  decide(route: AdmissionRoute, body: Uint8Array, started: number): Promise<PoolAnswer> {
    return new Promise<PoolAnswer>((resolve) => {
      const job: Job = { id: this.nextId++, route, body, started, resolve };
      const remaining = Math.max(0, started + this.options.settings.budgetMs - performance.now());
      job.timer = setTimeout(() => this.overrun(job), remaining);
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** Terminates every thread; queued and running reviews are answered as unavailable. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0))
      this.settle(job, {
        type: 'unavailable',
        message: 'the server is shutting down',
        budgetExceeded: false,
      });
    const stopping: Array<Promise<number>> = [];
    for (const thread of this.threads) {
      if (thread.job)
        this.settle(thread.job, {
          type: 'unavailable',
          message: 'the server is shutting down',
          budgetExceeded: false,
        });
      thread.state = 'gone';
      stopping.push(thread.worker.terminate());
    }
    this.threads.clear();
    await Promise.allSettled(stopping);
  }

  private spawn(): void {
    if (this.closed) return;
    const data: EvaluationWorkerData = { loader: this.options.loader, settings: this.options.settings };
    const heap = this.options.settings.evaluationHeapMiB;
    const worker = startModuleWorker(this.workerUrl, {
      workerData: data,
      // TypeScript sources (under vitest) are transpiled in the thread, which takes far more heap
      // than evaluation; the limit is for the built code.
      ...(needsTypescriptLoader(this.workerUrl)
        ? {}
        : {
            resourceLimits: {
              maxOldGenerationSizeMb: heap,
              maxYoungGenerationSizeMb: Math.max(2, Math.min(8, Math.floor(heap / 16))),
            },
          }),
      // The decision log and errors go through the HTTP thread; a thread's own output is noise.
      stdout: false,
      stderr: false,
    });
    const thread: Thread = { worker, state: 'loading' };
    this.threads.add(thread);
    worker.on('message', (reply: EvaluationReply) => this.onReply(thread, reply));
    worker.on('error', (error) => this.onExit(thread, error.message));
    worker.on('exit', (code) => this.onExit(thread, `exited with code ${code}`));
  }

  private onReply(thread: Thread, reply: EvaluationReply): void {
    switch (reply.type) {
      case 'ready':
        this.loadFailures = 0;
        thread.state = 'idle';
        // Before any review: a thread's messages are handled in order.
        if (this.namespaces) thread.worker.postMessage(this.namespaces);
        if (!this.isReady) {
          this.isReady = true;
          this.resolveReady(reply.catalogue);
          for (let i = 1; i < this.options.settings.evaluationThreads; i += 1) this.spawn();
        }
        this.dispatch();
        return;
      case 'failed': {
        thread.state = 'gone';
        this.threads.delete(thread);
        void thread.worker.terminate();
        if (!this.isReady) {
          this.closed = true;
          this.rejectReady(
            reply.error.code
              ? new ParapetError(reply.error.code as ParapetError['code'], reply.error.message)
              : new Error(reply.error.message),
          );
          void this.close();
          return;
        }
        this.emit({ event: 'thread-load-failed', error: reply.error.message });
        const delay = LOAD_RETRY_MS[Math.min(this.loadFailures, LOAD_RETRY_MS.length - 1)]!;
        this.loadFailures += 1;
        setTimeout(() => this.spawn(), delay).unref();
        return;
      }
      case 'header':
        if (thread.job?.id === reply.id) thread.job.header = reply.header;
        return;
      case 'answer':
      case 'error': {
        const job = thread.job;
        if (job?.id !== reply.id) return;
        thread.job = undefined;
        thread.state = 'idle';
        if (job.answered) {
          // Its answer went out at the deadline; only the cut-off timer is left to clear.
          clearTimeout(job.timer);
          job.timer = undefined;
        } else if (reply.type === 'answer') this.settle(job, reply.answer);
        else this.settle(job, this.stopped(job, 'evaluation-error', `evaluation failed: ${reply.message}`));
        this.dispatch();
        return;
      }
    }
  }

  private onExit(thread: Thread, reason: string): void {
    if (thread.state === 'gone') return;
    const wasLoading = thread.state === 'loading';
    thread.state = 'gone';
    this.threads.delete(thread);
    if (this.closed) return;
    const job = thread.job;
    thread.job = undefined;
    const message = /out of memory/i.test(reason)
      ? `evaluation needed more than the ${this.options.settings.evaluationHeapMiB} MiB heap of an evaluation thread`
      : `the evaluation thread ${reason}`;
    if (job) {
      this.settle(job, this.stopped(job, 'evaluation-error', message));
      this.emit({ event: 'thread-stopped', reason: 'crashed', uid: job.header?.uid, error: message });
    } else if (!wasLoading) {
      this.emit({ event: 'thread-stopped', reason: 'crashed', error: message });
    }
    if (wasLoading && !this.isReady) {
      this.closed = true;
      this.rejectReady(new Error(`an evaluation thread ${reason} while loading the policies`));
      void this.close();
      return;
    }
    this.replaced += 1;
    this.spawn();
    this.dispatch();
  }

  /** The review's deadline passed: answer it now, and stop its thread if it is running. */
  private overrun(job: Job): void {
    job.timer = undefined;
    const queued = this.queue.indexOf(job);
    const budget = this.options.settings.budgetMs;
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.settle(
        job,
        this.stopped(job, 'budget-exceeded', `no evaluation thread was free within the ${budget} ms budget`),
      );
      return;
    }
    const thread = job.thread;
    if (!thread || thread.job !== job) return;
    this.settle(job, this.stopped(job, 'budget-exceeded', `evaluation exceeded its ${budget} ms budget`));
    job.answered = true;
    // A review that waited in the queue reaches its deadline before it has run for a whole budget:
    // its thread is only cut off once the review itself has run that long. Terminating it sooner
    // would cost a healthy thread's reload for a review that is ordinary but late, and on a busy
    // machine every reload makes more reviews late.
    const ranFor = performance.now() - (job.dispatched ?? job.started);
    if (ranFor < budget) job.timer = setTimeout(() => this.cutOff(job), budget - ranFor);
    else this.cutOff(job);
  }

  /** Terminates and replaces the thread still running `job` a whole budget after it took it. */
  private cutOff(job: Job): void {
    job.timer = undefined;
    const thread = job.thread;
    if (!thread || thread.job !== job) return;
    thread.job = undefined;
    thread.state = 'gone';
    this.threads.delete(thread);
    void thread.worker.terminate();
    this.emit({ event: 'thread-stopped', reason: 'budget-exceeded', uid: job.header?.uid });
    this.replaced += 1;
    this.spawn();
    this.dispatch();
  }

  /** The answer to a review whose evaluation was stopped: the failure decision once its request is known. */
  private stopped(job: Job, reason: 'budget-exceeded' | 'evaluation-error', message: string): PoolAnswer {
    const budgetExceeded = reason === 'budget-exceeded';
    // A review still queued, or whose thread's header message is not in yet (a busy machine): its
    // uid is read from the bytes (the API server writes it first) so that the answer is the
    // configured failure decision all the same.
    job.header ??= scannedHeader(
      job.route,
      scanBody(
        job.body,
        { maxValues: Infinity, maxListItems: Infinity, maxDepth: Infinity },
        { headerOnly: true },
      ),
    );
    const header = job.header;
    if (!header)
      return { type: 'unavailable', message: `${message} before the request was read`, budgetExceeded };
    const record = { ...header.record };
    const response = failureResponse({ uid: header.uid }, record, this.options.settings, reason, message);
    return {
      type: 'review',
      apiVersion: header.apiVersion,
      response,
      record,
      counts: [],
      logged: [],
      budgetExceeded,
    };
  }

  private settle(job: Job, answer: PoolAnswer): void {
    if (job.timer) clearTimeout(job.timer);
    job.timer = undefined;
    job.resolve(answer);
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let free: Thread | undefined;
      for (const thread of this.threads)
        if (thread.state === 'idle') {
          free = thread;
          break;
        }
      if (!free) return;
      const job = this.queue.shift()!;
      free.state = 'busy';
      free.job = job;
      job.thread = free;
      job.dispatched = performance.now();
      const request: EvaluationRequest = { type: 'decide', id: job.id, route: job.route, body: job.body };
      free.worker.postMessage(request);
    }
  }
}
