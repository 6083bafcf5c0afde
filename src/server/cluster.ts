/**
 * `parapet serve --workers N`: N worker processes answer on one port (node:cluster hands each new
 * connection to a worker in turn). One Node process runs JavaScript on one core; with more, a
 * worker busy with a request, a collection or a slow spell of the machine no longer holds up the
 * requests behind it, and the API server's keep-alive connections spread over the workers.
 *
 * The primary process only supervises:
 * - it starts one worker and waits for it to be ready, so a start-up error (port in use, broken
 *   policies) is reported once and ends the primary with the worker's exit code;
 * - it then starts the others, which compile their policies before they listen, so a connection
 *   never reaches a worker that cannot answer yet; the same holds for a replacement;
 * - a worker that exits unexpectedly is replaced, after a delay that grows while workers keep
 *   failing soon after their start;
 * - SIGTERM and SIGINT are passed on to every worker, which finishes its in-flight requests; the
 *   primary returns once all have exited;
 * - GET /metrics on any worker answers for all of them: the worker asks the primary, which
 *   collects and adds up every worker's registry (prom-client's AggregatorRegistry).
 */
import cluster, { type Worker } from 'node:cluster';
import { hostname } from 'node:os';
import { AggregatorRegistry, type Registry } from 'prom-client';

/** How a worker was started: `first` listens at once, `deferred` compiles its policies first. */
export type WorkerRole = 'first' | 'deferred';

const ROLE_VARIABLE = 'PARAPET_SERVE_WORKER';
const READY = 'parapet:worker-ready';
const METRICS_REQUEST = 'parapet:metrics-request';
const METRICS_RESPONSE = 'parapet:metrics-response';
const METRICS_TIMEOUT_MS = 5_000;

interface WorkerMessage {
  type?: unknown;
  id?: unknown;
  text?: unknown;
  error?: unknown;
}

/** This process's role when it is a `parapet serve` worker; undefined otherwise. */
export function workerRole(env: NodeJS.ProcessEnv = process.env): WorkerRole | undefined {
  if (!cluster.isWorker) return undefined;
  const role = env[ROLE_VARIABLE];
  return role === 'first' || role === 'deferred' ? role : undefined;
}

/** Tells the primary that this worker listens and its policies are compiled. */
export function announceReady(): void {
  process.send?.({ type: READY });
}

/**
 * Ends this worker's part in the cluster once its server is closed, keeping `process.exitCode`: a
 * plain `process.disconnect()` would make node:cluster exit the worker with 0 at once.
 */
export function leaveCluster(): void {
  if (cluster.isWorker && cluster.worker?.isConnected()) cluster.worker.disconnect();
}

/**
 * In a worker: answers the primary's collection requests from `registry`, and returns what
 * GET /metrics should serve, every worker's metrics added up.
 */
export function clusterMetricsSource(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one installs prom-client's listener for the primary's collection requests.
  new AggregatorRegistry();
  let next = 0;
  const pending = new Map<number, { resolve(text: string): void; reject(error: Error): void }>();
  process.on('message', (message: WorkerMessage) => {
    if (message?.type !== METRICS_RESPONSE || typeof message.id !== 'number') return;
    const request = pending.get(message.id);
    if (!request) return;
    pending.delete(message.id);
    if (typeof message.text === 'string') request.resolve(message.text);
    else request.reject(new Error(`the primary could not collect metrics: ${String(message.error)}`));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`the primary did not answer a metrics request within ${METRICS_TIMEOUT_MS} ms`));
      }, METRICS_TIMEOUT_MS);
      pending.set(id, {
        resolve(text) {
          clearTimeout(timer);
          resolve(text);
        },
        reject(error) {
          clearTimeout(timer);
          reject(error);
        },
      });
      process.send?.({ type: METRICS_REQUEST, id });
    });
}

export interface SuperviseOptions {
  workers: number;
  /** Writes one log line (a JSON object and a newline), as the workers' logger does. */
  write(line: string): void;
  /** Minimum log level name of the workers' logger (`silent` for none). */
  logLevel: string;
  /** How long the workers may take to finish in-flight requests after SIGTERM. */
  shutdownTimeoutMs: number;
  /** First delay before replacing a worker that exited (doubles while workers keep failing). */
  restartDelayMs?: number;
}

const levels: Record<string, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
};

/** A worker that lived at least this long counts as healthy: the restart delay starts over. */
const HEALTHY_AFTER_MS = 30_000;
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * Runs the primary of a `parapet serve` cluster until it is told to stop (resolves 0), or until
 * the first worker fails to start (resolves that worker's exit code, 2 when it died by a signal).
 */
export function superviseWorkers(options: SuperviseOptions): Promise<number> {
  const threshold = levels[options.logLevel] ?? levels.info!;
  const host = hostname();
  const log = (level: keyof typeof levels, fields: Record<string, unknown>, msg: string) => {
    const value = levels[level]!;
    if (value < threshold) return;
    options.write(
      `${JSON.stringify({ level: value, time: Date.now(), pid: process.pid, hostname: host, ...fields, msg })}\n`,
    );
  };
  const firstDelay = options.restartDelayMs ?? 1_000;
  const aggregator = new AggregatorRegistry();
  const started = new Map<Worker, number>();
  const ready = new Set<Worker>();
  let stopping = false;
  let everReady = false;
  let restartDelay = firstDelay;
  const restartTimers = new Set<NodeJS.Timeout>();
  let killTimer: NodeJS.Timeout | undefined;

  return new Promise<number>((resolve) => {
    const finish = (code: number) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      cluster.off('message', onMessage);
      cluster.off('exit', onExit);
      for (const timer of restartTimers) clearTimeout(timer);
      clearTimeout(killTimer);
      resolve(code);
    };

    const fork = (role: WorkerRole) => {
      const worker = cluster.fork({ [ROLE_VARIABLE]: role });
      started.set(worker, Date.now());
      return worker;
    };

    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      for (const timer of restartTimers) clearTimeout(timer);
      restartTimers.clear();
      log(
        'info',
        { event: 'shutdown', signal, workers: started.size },
        'shutting down: stopping the workers',
      );
      if (started.size === 0) {
        finish(0);
        return;
      }
      for (const worker of started.keys()) worker.process.kill('SIGTERM');
      // Workers give up on in-flight requests after their shutdown timeout; never wait for ever.
      killTimer = setTimeout(() => {
        log('warn', { event: 'shutdown-timeout' }, 'workers did not stop in time; killing them');
        for (const worker of started.keys()) worker.process.kill('SIGKILL');
      }, options.shutdownTimeoutMs + 5_000);
      killTimer.unref();
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');

    const onMessage = (worker: Worker, message: WorkerMessage) => {
      if (message?.type === READY) {
        ready.add(worker);
        log('info', { event: 'worker-ready', worker: worker.process.pid }, 'worker ready');
        if (!everReady) {
          everReady = true;
          for (let i = 1; i < options.workers && !stopping; i += 1) fork('deferred');
        }
        return;
      }
      if (message?.type === METRICS_REQUEST && typeof message.id === 'number') {
        const id = message.id;
        aggregator.clusterMetrics().then(
          (text) => worker.isConnected() && worker.send({ type: METRICS_RESPONSE, id, text }),
          (error: unknown) =>
            worker.isConnected() &&
            worker.send({
              type: METRICS_RESPONSE,
              id,
              error: error instanceof Error ? error.message : String(error),
            }),
        );
      }
    };

    const onExit = (worker: Worker, code: number | null, signal: string | null) => {
      const since = started.get(worker);
      if (since === undefined) return;
      started.delete(worker);
      const wasReady = ready.delete(worker);
      if (stopping) {
        if (started.size === 0) finish(0);
        return;
      }
      if (!everReady) {
        // The first worker could not start: it has said why on stderr.
        for (const other of started.keys()) other.process.kill('SIGTERM');
        finish(code ?? 2);
        return;
      }
      const lived = Date.now() - since;
      restartDelay = lived >= HEALTHY_AFTER_MS ? firstDelay : restartDelay;
      log(
        'error',
        {
          event: 'worker-exit',
          worker: worker.process.pid,
          code,
          signal,
          wasReady,
          restartInMs: restartDelay,
        },
        'worker exited unexpectedly; starting a replacement',
      );
      const delay = restartDelay;
      restartDelay = Math.min(restartDelay * 2, MAX_RESTART_DELAY_MS);
      const timer = setTimeout(() => {
        restartTimers.delete(timer);
        if (!stopping) fork('deferred');
      }, delay);
      restartTimers.add(timer);
    };

    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    cluster.on('message', onMessage);
    cluster.on('exit', onExit);
    log('info', { event: 'primary', workers: options.workers }, `starting ${options.workers} workers`);
    fork('first');
  });
}
