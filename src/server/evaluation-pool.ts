/**
 * The evaluation threads of `parapet serve`. The HTTP thread only reads bodies, queues them and
 * answers; policies run in a pool of worker threads, one review per thread at a time. Each review
 * has a hard deadline (the budget, counted from its arrival): a review still queued then is
 * answered without evaluation, and one still running is answered too; its thread is terminated,
 * which stops synchronous JavaScript and WebAssembly alike, and replaced once the review has run
 * for a whole budget itself. Either way the review gets the configured failure decision, and
 * probes and other reviews keep being answered meanwhile.
 *
 * Ordinary reviews keep a thread whatever hostile ones do:
 * - Spare threads (`spareThreads`) are loaded and held in reserve. One takes a stopped thread's
 *   place at once, while the replacement loads (a second or more on a busy machine) in the
 *   background to become the next spare; and one takes a queued review once every working thread
 *   has been on its review for a third of the budget (runaway reviews holding all of them) or the
 *   review has waited that long itself (more reviews than the working threads keep up with), unless
 *   it has the shape of a review holding a stuck thread.
 * - A review's shape (route, kind, namespace and user, read from the bytes before it is queued)
 *   that cost a thread (cut off at the budget, or out of memory) is confined for ten minutes:
 *   reviews of that shape run on at most all working threads but one and never on a spare, so
 *   repeating the attack cannot take every thread. They may wait and get the failure decision;
 *   other reviews do not.
 * - `ready` resolves only once every thread, spares included, has loaded, so /readyz sends no
 *   traffic to a server that could not answer it.
 */
import type { Worker } from 'node:worker_threads';
import { needsTypescriptLoader, siblingModule, startModuleWorker } from '../engine/worker-thread.js';
import { ParapetError } from '../model/errors.js';
import { failureResponse, type AdmissionRoute } from './admission.js';
import { scanBody, type BodyScan } from './body-scan.js';
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
  /** The thread's module (tests give a stand-in speaking the same messages). */
  workerUrl?: URL;
}

export type PoolEvent =
  | { event: 'thread-stopped'; reason: 'budget-exceeded' | 'crashed'; uid?: string; error?: string }
  | { event: 'thread-load-failed'; error: string }
  /** Reviews of `shape` cost a thread: for `forMs` they may not take every thread. */
  | { event: 'shape-confined'; shape: string; uid?: string; forMs: number };

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
  /** Route, kind, namespace and user: what confinement keys on. */
  shape: string;
  /** Its shape was confined when a thread took it. */
  confined?: boolean;
  thread?: Thread;
  timer?: NodeJS.Timeout;
  /** Fires when it has run a third of the budget: a spare may then take the reviews queued behind it. */
  slowTimer?: NodeJS.Timeout;
  /** Fires when it has waited a third of the budget in the queue: a spare may then take it. */
  waitTimer?: NodeJS.Timeout;
  resolve(answer: PoolAnswer): void;
}

interface Thread {
  worker: Worker;
  state: 'loading' | 'idle' | 'busy' | 'gone';
  /** Working threads take reviews; spares wait loaded until a working thread is stopped or stuck. */
  role?: 'working' | 'spare';
  job?: Job;
}

const LOAD_RETRY_MS = [1000, 2000, 5000, 10_000, 30_000];
/** How long a shape that cost a thread stays confined. */
export const CONFINED_MS = 10 * 60_000;
/** Confined shapes remembered at most (the oldest are forgotten first): kinds and namespaces come from requests. */
const MAX_CONFINED = 1000;

/**
 * The shape of a review read before its object (`scanBody`): route, kind, namespace and requesting
 * user. The user keeps one requester's attack from confining everyone's reviews of that kind in
 * that namespace; kind and namespace bound what the requester can vary by their RBAC rights.
 */
export function reviewShape(route: AdmissionRoute, scan: BodyScan): string {
  if (scan.kind === undefined) return `${route} ?`;
  const kind = `${scan.group ? `${scan.group}/` : ''}${scan.kind}`;
  return `${route} ${kind} ${scan.namespace || '-'} ${scan.username ?? '?'}`;
}

/** Runs reviews in worker threads, each with a hard deadline. */
export class EvaluationPool {
  /** Resolves with the library once the first thread has loaded it; rejects when it cannot. */
  readonly ready: Promise<PolicyCatalogue>;
  private readonly threads = new Set<Thread>();
  private readonly queue: Job[] = [];
  private readonly workerUrl: URL;
  /** Confined shapes and when each is released (performance.now()), oldest first. */
  private readonly confined = new Map<string, number>();
  private catalogue?: PolicyCatalogue;
  private nextId = 1;
  private closed = false;
  private loadFailures = 0;
  /** Threads waiting to start until the one loading has loaded. */
  private pendingLoads = 0;
  private resolveReady!: (catalogue: PolicyCatalogue) => void;
  private rejectReady!: (error: Error) => void;
  private isReady = false;
  private readonly listeners: Array<(event: PoolEvent) => void> = [];
  /** Threads terminated at the budget or lost to a crash, since the start. */
  replaced = 0;
  /** The latest snapshot of the cluster's Namespaces, given to every thread that loads. */
  private namespaces?: EvaluationRequest & { type: 'namespaces' };

  constructor(private readonly options: EvaluationPoolOptions) {
    this.workerUrl = options.workerUrl ?? siblingModule(import.meta.url, 'evaluation-worker');
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined);
  }

  /**
   * Starts the threads (idempotent). The others start once the first has loaded: it fails sooner,
   * with the CPU to itself, when the policies cannot load.
   */
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

  /** Threads by state and role, for tests and diagnostics. */
  get census(): { working: number; spare: number; loading: number; busy: number } {
    const census = { working: 0, spare: 0, loading: 0, busy: 0 };
    for (const thread of this.threads) {
      if (thread.state === 'loading') census.loading += 1;
      else if (thread.role === 'spare') census.spare += 1;
      else census.working += 1;
      if (thread.state === 'busy') census.busy += 1;
    }
    return census;
  }

  /** Whether reviews of `shape` are confined now. */
  isConfined(shape: string): boolean {
    const until = this.confined.get(shape);
    if (until === undefined) return false;
    if (until > performance.now()) return true;
    this.confined.delete(shape);
    return false;
  }

  private confine(job: Job): void {
    this.confined.delete(job.shape);
    this.confined.set(job.shape, performance.now() + CONFINED_MS);
    if (this.confined.size > MAX_CONFINED) this.confined.delete(this.confined.keys().next().value!);
    this.emit({ event: 'shape-confined', shape: job.shape, uid: job.header?.uid, forMs: CONFINED_MS });
  }

  /** Answers one request body on `route`, by `started` (performance.now()) + the budget at the latest. */
  decide(route: AdmissionRoute, body: Uint8Array, started: number): Promise<PoolAnswer> {
    // The envelope only (it stops at the object): the uid for an answer without evaluation, and
    // the shape for confinement.
    const scan = scanBody(
      body,
      { maxValues: Infinity, maxListItems: Infinity, maxDepth: Infinity },
      { headerOnly: true },
    );
    return new Promise<PoolAnswer>((resolve) => {
      const job: Job = {
        id: this.nextId++,
        route,
        body,
        started,
        shape: reviewShape(route, scan),
        header: scannedHeader(route, scan),
        resolve,
      };
      const remaining = Math.max(0, started + this.options.settings.budgetMs - performance.now());
      job.timer = setTimeout(() => this.overrun(job), remaining);
      job.waitTimer = setTimeout(() => this.dispatch(), this.options.settings.budgetMs / 3 + 1).unref();
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

  /**
   * Starts a thread, or queues its start while another loads: one load at a time finishes sooner on
   * a busy machine, and loads are the pool's peak of memory.
   */
  private spawn(): void {
    if (this.closed) return;
    for (const thread of this.threads)
      if (thread.state === 'loading') {
        this.pendingLoads += 1;
        return;
      }
    this.startThread();
  }

  /** Starts the next queued thread once none is loading. */
  private loadNext(): void {
    if (this.pendingLoads === 0 || this.closed) return;
    for (const thread of this.threads) if (thread.state === 'loading') return;
    this.pendingLoads -= 1;
    this.startThread();
  }

  private startThread(): void {
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

  private get size(): number {
    return this.options.settings.evaluationThreads + this.options.settings.spareThreads;
  }

  private count(role: 'working' | 'spare'): number {
    let n = 0;
    for (const thread of this.threads) if (thread.state !== 'loading' && thread.role === role) n += 1;
    return n;
  }

  /** Puts an idle spare to work when fewer threads work than configured. */
  private promoteSpare(): void {
    if (this.count('working') >= this.options.settings.evaluationThreads) return;
    for (const thread of this.threads)
      if (thread.role === 'spare' && thread.state === 'idle') {
        thread.role = 'working';
        return;
      }
  }

  private onReply(thread: Thread, reply: EvaluationReply): void {
    switch (reply.type) {
      case 'ready': {
        this.loadFailures = 0;
        thread.state = 'idle';
        thread.role = this.count('working') < this.options.settings.evaluationThreads ? 'working' : 'spare';
        // Before any review: a thread's messages are handled in order.
        if (this.namespaces) thread.worker.postMessage(this.namespaces);
        if (!this.catalogue) {
          this.catalogue = reply.catalogue;
          for (let i = 1; i < this.size; i += 1) this.spawn();
        }
        if (!this.isReady && this.count('working') + this.count('spare') >= this.size) {
          this.isReady = true;
          this.resolveReady(this.catalogue);
        }
        this.loadNext();
        this.dispatch();
        return;
      }
      case 'failed': {
        thread.state = 'gone';
        this.threads.delete(thread);
        void thread.worker.terminate();
        if (!this.catalogue) {
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
        this.loadNext();
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
        clearTimeout(job.slowTimer);
        if (job.answered) {
          // Its answer went out at the deadline; only the cut-off timer is left to clear.
          clearTimeout(job.timer);
          job.timer = undefined;
        } else if (reply.type === 'answer') this.settle(job, reply.answer);
        else this.settle(job, this.stopped(job, 'evaluation-error', `evaluation failed: ${reply.message}`));
        // A spare that took reviews while the working threads were stuck goes back to reserve
        // once they are working again.
        if (
          this.count('working') > this.options.settings.evaluationThreads &&
          this.count('spare') < this.options.settings.spareThreads
        )
          thread.role = 'spare';
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
    const outOfMemory = /out of memory/i.test(reason);
    const message = outOfMemory
      ? `evaluation needed more than the ${this.options.settings.evaluationHeapMiB} MiB heap of an evaluation thread`
      : `the evaluation thread ${reason}`;
    if (job) {
      clearTimeout(job.slowTimer);
      if (!job.answered) this.settle(job, this.stopped(job, 'evaluation-error', message));
      else clearTimeout(job.timer);
      this.emit({ event: 'thread-stopped', reason: 'crashed', uid: job.header?.uid, error: message });
      if (outOfMemory) this.confine(job);
    } else if (!wasLoading) {
      this.emit({ event: 'thread-stopped', reason: 'crashed', error: message });
    }
    if (wasLoading && !this.catalogue) {
      this.closed = true;
      this.rejectReady(new Error(`an evaluation thread ${reason} while loading the policies`));
      void this.close();
      return;
    }
    this.replaced += 1;
    if (wasLoading) this.loadNext();
    this.promoteSpare();
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
        this.stopped(
          job,
          'budget-exceeded',
          this.isConfined(job.shape)
            ? `no evaluation thread was free within the ${budget} ms budget (reviews of this kind and namespace from this user recently overran and may not take every thread)`
            : `no evaluation thread was free within the ${budget} ms budget`,
        ),
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
    clearTimeout(job.slowTimer);
    void thread.worker.terminate();
    this.emit({ event: 'thread-stopped', reason: 'budget-exceeded', uid: job.header?.uid });
    this.confine(job);
    this.replaced += 1;
    this.promoteSpare();
    this.spawn();
    this.dispatch();
  }

  /** The answer to a review whose evaluation was stopped: the failure decision once its request is known. */
  private stopped(job: Job, reason: 'budget-exceeded' | 'evaluation-error', message: string): PoolAnswer {
    const budgetExceeded = reason === 'budget-exceeded';
    // A review still queued, or whose thread's header message is not in yet, is answered with the
    // header read from its bytes (the API server writes the uid first), so that it gets the
    // configured failure decision all the same.
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
    clearTimeout(job.waitTimer);
    job.timer = undefined;
    job.resolve(answer);
  }

  /** The thread `job` may run on now, if any (see the module comment for the rules). */
  private threadFor(job: Job, now: number): Thread | undefined {
    const { evaluationThreads, budgetMs } = this.options.settings;
    let idle: Thread | undefined;
    let spare: Thread | undefined;
    let confinedRunning = 0;
    // Every working thread has been on its review for a third of the budget (or is reloading).
    let stuck = true;
    let stuckOnShape = false;
    for (const thread of this.threads) {
      if (thread.state === 'loading' || thread.state === 'gone') continue;
      if (thread.role === 'spare') {
        if (thread.state === 'idle') spare ??= thread;
        continue;
      }
      if (thread.state === 'idle') {
        idle ??= thread;
        stuck = false;
      } else if (thread.job) {
        if (thread.job.confined) confinedRunning += 1;
        if (now - (thread.job.dispatched ?? now) < budgetMs / 3) stuck = false;
        else if (thread.job.shape === job.shape) stuckOnShape = true;
      }
    }
    const remaining = job.started + budgetMs - now;
    // Its deadline's timer is about to answer it.
    if (remaining <= 0) return undefined;
    if (this.isConfined(job.shape)) {
      job.confined = true;
      // A review of a shape that cost a thread, with too little time left to finish: not worth a
      // thread it would hold for a whole budget before being cut off.
      if (remaining < budgetMs / 3) return undefined;
      return confinedRunning < Math.max(1, evaluationThreads - 1) ? idle : undefined;
    }
    job.confined = false;
    if (idle) return idle;
    // Stuck threads, or more reviews than the working threads keep up with; but not for another
    // review of the shape holding a stuck thread: likely the same attack.
    const waited = now - job.started >= budgetMs / 3;
    if ((stuck || waited) && spare && !stuckOnShape) {
      spare.role = 'working';
      return spare;
    }
    return undefined;
  }

  private anyIdle(): boolean {
    for (const thread of this.threads) if (thread.state === 'idle') return true;
    return false;
  }

  private dispatch(): void {
    if (this.queue.length === 0) return;
    const now = performance.now();
    // In arrival order, passing over confined reviews that must wait.
    for (let i = 0; i < this.queue.length;) {
      // A flood can queue thousands: stop as soon as no thread is free for anyone.
      if (!this.anyIdle()) return;
      const job = this.queue[i]!;
      const thread = this.threadFor(job, now);
      if (!thread) {
        i += 1;
        continue;
      }
      this.queue.splice(i, 1);
      thread.state = 'busy';
      thread.job = job;
      job.thread = thread;
      job.dispatched = now;
      clearTimeout(job.waitTimer);
      job.slowTimer = setTimeout(() => this.dispatch(), this.options.settings.budgetMs / 3 + 1).unref();
      const request: EvaluationRequest = { type: 'decide', id: job.id, route: job.route, body: job.body };
      thread.worker.postMessage(request);
    }
  }
}
