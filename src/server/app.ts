/**
 * The admission webhook as a fastify app. `buildServer` builds it and never listens: `parapet serve`
 * listens, tests use `inject()`. Routes: POST /validate and /mutate (AdmissionReview v1 and v1beta1,
 * each answered in its own version), GET /healthz, /readyz (ready once the policies are compiled)
 * and /metrics (Prometheus text format). The same three GET routes are served by `probes`, a second
 * app for a port of its own (plain HTTP, no client certificates), so kubelet and Prometheus reach
 * them whatever the admission port demands.
 *
 * What one client can make the server hold is bounded: connections, the time to send a request,
 * requests per connection, the size of one body and the bytes of all requests in flight.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type { Engine } from '../engine/engine.js';
import { describeError } from '../model/errors.js';
import type { AdmissionRoute } from './admission.js';
import type { EvaluationPool, PoolAnswer } from './evaluation-pool.js';
import { createMetrics, type WebhookMetrics } from './metrics.js';
import {
  admissionContext,
  answerReview,
  policyCatalogue,
  type FindingCount,
  type PolicyCatalogue,
} from './review-job.js';
import { admissionReviewResponse } from './review.js';
import { defaultServerSettings, type ServerSettings } from './settings.js';
import { httpsOptions, loadTlsMaterial, watchTlsFiles, type TlsFiles } from './tls.js';

export interface BuildServerOptions {
  /** Webhook settings; defaults from `defaultServerSettings()`. */
  settings?: Partial<ServerSettings>;
  /** Serve HTTPS with these files (reloaded when they change). Without it the app speaks plain HTTP (tests). */
  tls?: TlsFiles & { reloadIntervalMs?: number };
  /** fastify logger options (`false` for none); the decision log is written through it. */
  logger?: FastifyServerOptions['logger'];
  /** Add Node process metrics (CPU, memory, event loop lag) to /metrics. */
  processMetrics?: boolean;
  /**
   * Where GET /metrics gets its text, given the app's own registry; by default the registry
   * itself. A `serve --workers` worker asks the primary for every worker's metrics added up.
   */
  metricsSource?: (registry: WebhookMetrics['registry']) => () => Promise<string>;
  /**
   * Labels of the cluster's Namespaces, for an engine evaluated on this thread (a pool gets them
   * with `setNamespaceLabels`).
   */
  namespaceLabels?: (name: string) => Record<string, string> | undefined;
}

export interface WebhookServer extends FastifyInstance {
  /** The metrics the app records (exposed on /metrics). */
  readonly webhookMetrics: WebhookMetrics;
  /** Resolves when the policies are compiled and the app is ready (rejects when they cannot be). */
  readonly engineReady: Promise<PolicyCatalogue>;
  /** GET /healthz, /readyz and /metrics on a listener of their own (closed with the app). */
  readonly probes: FastifyInstance;
  /** Marks the app as stopping: /readyz answers 503 so that endpoints drain before it closes. */
  drain(): void;
}

/** Where reviews are decided: in this thread (an `Engine`), or in evaluation threads (a pool). */
interface Decider {
  ready: Promise<PolicyCatalogue>;
  decide(route: AdmissionRoute, body: Uint8Array, started: number): Promise<PoolAnswer>;
  close(): Promise<void>;
}

function isPool(source: unknown): source is EvaluationPool {
  return typeof source === 'object' && source !== null && 'decide' in source && 'ready' in source;
}

function inProcessDecider(
  engine: Engine | Promise<Engine>,
  settings: ServerSettings,
  namespaceLabels?: (name: string) => Record<string, string> | undefined,
): Decider {
  const loaded = Promise.resolve(engine).then((compiled) => ({
    catalogue: policyCatalogue(compiled),
    ctx: admissionContext(compiled, settings, namespaceLabels),
  }));
  loaded.catch(() => undefined);
  return {
    ready: loaded.then(({ catalogue }) => catalogue),
    async decide(route, body, started) {
      const { ctx } = await loaded;
      return answerReview(route, body, ctx, started);
    },
    async close() {},
  };
}

function errorBody(statusCode: number, message: string) {
  return {
    statusCode,
    error:
      statusCode === 413
        ? 'Payload Too Large'
        : statusCode === 408
          ? 'Request Timeout'
          : statusCode >= 500
            ? 'Service Unavailable'
            : 'Bad Request',
    message,
  };
}

/** An error fastify answers with `statusCode` and `message`, closing the connection. */
function bodyError(statusCode: number, code: string, message: string): FastifyError {
  return Object.assign(new Error(message), { statusCode, code, name: 'BodyError' }) as FastifyError;
}

/**
 * Builds the webhook app around `source`: an engine (or the promise of one), evaluated on this
 * thread, or an `EvaluationPool`. /readyz answers 503 and admission routes 503 until the policies
 * are ready. Throws `PARAPET_TLS` when the TLS files are unusable.
 */
export function buildServer(
  source: Engine | Promise<Engine> | EvaluationPool,
  options: BuildServerOptions = {},
): WebhookServer {
  const settings: ServerSettings = { ...defaultServerSettings(), ...options.settings };
  const tls = options.tls ? loadTlsMaterial(options.tls) : undefined;
  const serverOptions = {
    requestTimeout: settings.requestTimeoutMs,
    headersTimeout: Math.min(settings.requestTimeoutMs, 10_000),
    // Admission requests are small and the API server keeps connections alive.
    keepAliveTimeout: 75_000,
    // How often request timeouts are checked: a trickling client is dropped within a second of its time.
    connectionsCheckingInterval: Math.min(1000, settings.requestTimeoutMs),
    maxHeaderSize: 16 * 1024,
  };
  const app = Fastify({
    logger: options.logger ?? { level: 'info' },
    // fastify builds no server of its own (serverFactory) but names the protocol from this.
    ...(tls ? { https: httpsOptions(tls) } : {}),
    serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
      const server = tls
        ? createHttpsServer({ ...httpsOptions(tls), ...serverOptions }, handler)
        : createHttpServer(serverOptions, handler);
      server.maxConnections = settings.maxConnections;
      server.maxRequestsPerSocket = settings.maxRequestsPerConnection;
      return server;
    },
    // Bodies are read by the parser below, which enforces the limits itself.
    bodyLimit: settings.maxBodyBytes + 1,
    // One line per admission decision is the log; per-request access lines would double it.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    keepAliveTimeout: serverOptions.keepAliveTimeout,
  }) as unknown as FastifyInstance;

  const metrics = createMetrics({ processMetrics: options.processMetrics });
  const metricsText = options.metricsSource
    ? options.metricsSource(metrics.registry)
    : () => metrics.registry.metrics();
  let decider: Decider;
  if (isPool(source)) {
    decider = { ready: source.ready, decide: source.decide.bind(source), close: () => source.close() };
    source.subscribe((event) => {
      if (event.event === 'thread-stopped') {
        metrics.threadsReplaced.inc({ reason: event.reason });
        app.log.warn(event, 'evaluation thread stopped; a new one takes its place');
      } else if (event.event === 'shape-confined')
        app.log.warn(
          event,
          'reviews of this route, kind, namespace and user cost a thread; they may no longer take every thread',
        );
      else app.log.error(event, 'an evaluation thread could not load the policies; retrying');
    });
  } else decider = inProcessDecider(source, settings, options.namespaceLabels);
  let ready: { catalogue: PolicyCatalogue; kinds: Set<string>; policyIds: Set<string> } | undefined;
  let failure: string | undefined;
  let draining = false;
  const engineReady = decider.ready.then(
    (catalogue) => {
      ready = { catalogue, kinds: new Set(catalogue.kinds), policyIds: new Set(catalogue.policyIds) };
      metrics.ready.set(1);
      app.log.info(
        { event: 'ready', policies: catalogue.policies },
        'policies compiled; ready for admission requests',
      );
      return catalogue;
    },
    (error: unknown) => {
      failure = describeError(error);
      app.log.error({ event: 'not-ready', error: failure }, 'policies could not be compiled');
      throw error;
    },
  );
  // Readiness reports the failure; nobody else must see an unhandled rejection.
  engineReady.catch(() => undefined);

  if (options.tls) {
    const files = options.tls;
    const watcher = watchTlsFiles(
      files,
      {
        onReload(material) {
          (app.server as HttpsServer).setSecureContext(httpsOptions(material));
          metrics.tlsReloads.inc({ result: 'ok' });
          app.log.info({ event: 'tls-reload', cert: files.cert }, 'TLS certificate reloaded');
        },
        onError(error) {
          metrics.tlsReloads.inc({ result: 'error' });
          app.log.error(
            { event: 'tls-reload-failed', error: error.message },
            'TLS reload failed; still serving the previous certificate',
          );
        },
      },
      files.reloadIntervalMs,
    );
    app.addHook('onClose', async () => watcher.close());
  }

  // Bytes of requests in flight, counted from their first body byte until their answer is sent.
  let inflightBytes = 0;
  const held = new WeakMap<IncomingMessage, { bytes: number }>();
  app.addHook('onRequest', (request, reply, done) => {
    const account = { bytes: 0 };
    held.set(request.raw, account);
    reply.raw.once('close', () => {
      inflightBytes -= account.bytes;
      account.bytes = 0;
      metrics.inflightBytes.set(inflightBytes);
    });
    done();
  });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', (request, payload, done) => {
    const limit = settings.maxBodyBytes;
    const declared = Number(request.headers['content-length']);
    const tooLarge = () =>
      bodyError(413, 'PARAPET_BODY_TOO_LARGE', `request body is larger than ${limit} bytes`);
    const busy = () =>
      bodyError(
        503,
        'PARAPET_BUSY',
        `the server holds ${settings.maxInflightBytes} bytes of requests in flight; retry shortly`,
      );
    if (declared > limit) {
      metrics.rejected.inc({ reason: 'body-too-large' });
      done(tooLarge(), undefined);
      return;
    }
    if (declared > 0 && inflightBytes + declared > settings.maxInflightBytes) {
      metrics.rejected.inc({ reason: 'inflight-bytes' });
      done(busy(), undefined);
      return;
    }
    const account = held.get(request.raw) ?? { bytes: 0 };
    const chunks: Buffer[] = [];
    let received = 0;
    let finished = false;
    const finish = (error: FastifyError | null, body?: Buffer) => {
      if (finished) return;
      finished = true;
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onError);
      if (error) {
        chunks.length = 0;
        inflightBytes -= account.bytes;
        account.bytes = 0;
        metrics.inflightBytes.set(inflightBytes);
        // The rest of the body is not wanted: stop reading it and drop the connection after the answer.
        payload.pause();
      }
      done(error, body);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      account.bytes += chunk.length;
      inflightBytes += chunk.length;
      metrics.inflightBytes.set(inflightBytes);
      if (received > limit) {
        metrics.rejected.inc({ reason: 'body-too-large' });
        finish(tooLarge());
      } else if (inflightBytes > settings.maxInflightBytes) {
        metrics.rejected.inc({ reason: 'inflight-bytes' });
        finish(busy());
      } else chunks.push(chunk);
    };
    const onEnd = () => finish(null, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
    const onError = (error: Error) =>
      finish(bodyError(400, 'PARAPET_BODY_ABORTED', `the request body could not be read: ${error.message}`));
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const code = error.statusCode;
    const statusCode = code && ((code >= 400 && code < 500) || code === 503) ? code : 500;
    if (statusCode === 500) {
      request.log.error({ event: 'internal-error', error: describeError(error) }, 'request failed');
      return reply.code(500).send(errorBody(500, 'internal error; see the webhook log'));
    }
    if (error.name === 'BodyError' || error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      // The rest of the body is not read: decrypting what a client keeps sending would cost this
      // thread more than the answer. The connection ends as soon as the answer is out.
      reply.header('connection', 'close');
      reply.raw.once('finish', () => request.raw.socket?.destroy());
    }
    const message =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `request body is larger than ${settings.maxBodyBytes} bytes`
        : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'the body must be application/json'
          : describeError(error);
    return reply.code(statusCode).send(errorBody(statusCode, message));
  });

  /** Label values from closed sets only: a kind the policies name, or `other`. */
  const kindLabel = (kind: string) => (ready?.kinds.has(kind) ? kind : 'other');
  const countFindings = (counts: readonly FindingCount[]) => {
    for (const { policy, status, n } of counts)
      metrics.findings.inc({ policy: ready?.policyIds.has(policy) ? policy : 'other', status }, n);
  };

  const admit = (route: AdmissionRoute) =>
    async function admissionRoute(request: FastifyRequest, reply: FastifyReply) {
      const started = performance.now();
      if (!ready) {
        metrics.requests.inc({ route, operation: '', kind: '', decision: 'unavailable' });
        return reply
          .code(503)
          .send(
            errorBody(
              503,
              failure ? `policies could not be compiled: ${failure}` : 'policies are still being compiled',
            ),
          );
      }
      const body = request.body;
      // Only the buffer is passed on; the request no longer holds the bytes while they are decided.
      request.body = undefined;
      const answer = await decider.decide(route, body as Uint8Array, started);
      if (answer.type === 'invalid') {
        metrics.requests.inc({ route, operation: '', kind: '', decision: 'invalid' });
        request.log.warn(
          { event: 'admission-invalid', route, error: answer.message },
          'invalid AdmissionReview',
        );
        return reply.code(400).send(errorBody(400, answer.message));
      }
      if (answer.type === 'unavailable') {
        metrics.requests.inc({ route, operation: '', kind: '', decision: 'unavailable' });
        if (answer.budgetExceeded) metrics.budgetExceeded.inc({ route });
        request.log.warn({ event: 'admission-unavailable', route, error: answer.message }, 'not evaluated');
        return reply.code(503).send(errorBody(503, answer.message));
      }
      const { record } = answer;
      record.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      if (record.evaluationMs !== undefined)
        record.evaluationMs = Math.round(record.evaluationMs * 1000) / 1000;
      const labels = {
        route,
        operation: record.operation,
        kind: kindLabel(record.kind),
        decision: record.decision,
      };
      metrics.requests.inc(labels);
      metrics.requestDuration.observe(labels, record.durationMs / 1000);
      if (record.evaluationMs !== undefined)
        metrics.evaluationDuration.observe({ route }, record.evaluationMs / 1000);
      if (answer.budgetExceeded) metrics.budgetExceeded.inc({ route });
      countFindings(answer.counts);
      request.log.info({ event: 'admission', ...record, findings: answer.logged }, 'admission decision');
      return reply.code(200).send(admissionReviewResponse(answer.apiVersion, answer.response));
    };

  const healthz = async () => ({ status: 'ok' });
  const readyz = async (_request: FastifyRequest, reply: FastifyReply) => {
    if (draining) return reply.code(503).send({ status: 'stopping' });
    if (ready) return { status: 'ready', policies: ready.catalogue.policies };
    return reply
      .code(503)
      .send({ status: failure ? 'failed' : 'starting', ...(failure ? { error: failure } : {}) });
  };
  const metricsRoute = async (request: FastifyRequest, reply: FastifyReply) => {
    let text: string;
    try {
      text = await metricsText();
    } catch (error) {
      request.log.warn({ event: 'metrics-unavailable', error: describeError(error) }, 'metrics unavailable');
      return reply.code(503).send(errorBody(503, `metrics unavailable: ${describeError(error)}`));
    }
    reply.header('content-type', metrics.registry.contentType);
    return text;
  };

  app.post('/validate', admit('validate'));
  app.post('/mutate', admit('mutate'));
  app.get('/healthz', healthz);
  app.get('/readyz', readyz);
  app.get('/metrics', metricsRoute);

  const probes = Fastify({
    logger: false,
    requestTimeout: 5_000,
    connectionTimeout: 10_000,
    keepAliveTimeout: 10_000,
    forceCloseConnections: true,
  });
  probes.get('/healthz', healthz);
  probes.get('/readyz', readyz);
  probes.get('/metrics', metricsRoute);
  app.addHook('onClose', async () => {
    await probes.close();
    await decider.close();
  });

  Object.defineProperty(app, 'webhookMetrics', { value: metrics });
  Object.defineProperty(app, 'engineReady', { value: engineReady });
  Object.defineProperty(app, 'probes', { value: probes });
  Object.defineProperty(app, 'drain', {
    value: () => {
      draining = true;
    },
  });
  return app as WebhookServer;
}

/** Closes `app`, letting in-flight requests finish; gives up after `timeoutMs`. */
export async function closeGracefully(app: FastifyInstance, timeoutMs = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      app.log.warn(
        { event: 'shutdown-timeout', timeoutMs },
        'in-flight requests did not finish in time; closing anyway',
      );
      app.server.closeAllConnections?.();
      resolve();
    }, timeoutMs);
    timer.unref();
  });
  // Keep-alive connections (the API server's) are closed as soon as their in-flight request is done.
  const idle = setInterval(() => app.server.closeIdleConnections?.(), 50);
  try {
    await Promise.race([app.close(), timeout]);
  } finally {
    clearTimeout(timer);
    clearInterval(idle);
  }
}
