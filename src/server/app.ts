/**
 * The admission webhook as a fastify app. `buildServer` builds it and never listens: `parapet serve`
 * listens, tests use `inject()`. Routes: POST /validate and /mutate (AdmissionReview v1 and v1beta1,
 * each answered in its own version), GET /healthz, /readyz (ready once the policies are compiled)
 * and /metrics (Prometheus text format).
 */
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyServerOptions,
} from 'fastify';
import type { Engine } from '../engine/engine.js';
import { describeError } from '../model/errors.js';
import type { Finding } from '../model/finding.js';
import type { Policy } from '../model/policy.js';
import { AdmissionScope, decideAdmission, type AdmissionRoute } from './admission.js';
import { createMetrics, type WebhookMetrics } from './metrics.js';
import { admissionReviewResponse, parseAdmissionReview, ReviewError } from './review.js';
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
}

export interface WebhookServer extends FastifyInstance {
  /** The metrics the app records (exposed on /metrics). */
  readonly webhookMetrics: WebhookMetrics;
  /** Resolves when the policies are compiled and the app is ready (rejects when they cannot be). */
  readonly engineReady: Promise<Engine>;
}

const MAX_LOGGED_FINDINGS = 50;

/**
 * Adds one request's findings to the findings counter: one increment per policy and status (a
 * policy that fails in three containers adds 3 at once), since each increment hashes its labels.
 */
function countFindings(metrics: WebhookMetrics, findings: readonly Finding[]): void {
  if (findings.length === 0) return;
  const counts = new Map<string, { policy: string; status: string; n: number }>();
  for (const finding of findings) {
    const key = `${finding.policyId}\0${finding.status}`;
    const count = counts.get(key);
    if (count) count.n += 1;
    else counts.set(key, { policy: finding.policyId, status: finding.status, n: 1 });
  }
  for (const { policy, status, n } of counts.values()) metrics.findings.inc({ policy, status }, n);
}

function errorBody(statusCode: number, message: string) {
  return {
    statusCode,
    error:
      statusCode === 413 ? 'Payload Too Large' : statusCode >= 500 ? 'Service Unavailable' : 'Bad Request',
    message,
  };
}

/**
 * Builds the webhook app around `engine` (or the promise of one: /readyz answers 503 and admission
 * routes 503 until it resolves). Throws `PARAPET_TLS` when the TLS files are unusable.
 */
export function buildServer(
  engine: Engine | Promise<Engine>,
  options: BuildServerOptions = {},
): WebhookServer {
  const settings: ServerSettings = { ...defaultServerSettings(), ...options.settings };
  const tls = options.tls ? loadTlsMaterial(options.tls) : undefined;
  const app = Fastify({
    logger: options.logger ?? { level: 'info' },
    ...(tls ? { https: httpsOptions(tls) } : {}),
    bodyLimit: settings.maxBodyBytes,
    // One line per admission decision is the log; per-request access lines would double it.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Admission requests are small and the API server keeps connections alive.
    keepAliveTimeout: 75_000,
  }) as unknown as FastifyInstance;

  const metrics = createMetrics({ processMetrics: options.processMetrics });
  const metricsText = options.metricsSource
    ? options.metricsSource(metrics.registry)
    : () => metrics.registry.metrics();
  const scope = new AdmissionScope(settings);
  let ready: { engine: Engine; policies: Map<string, Policy>; setPolicies: Set<string> } | undefined;
  let failure: string | undefined;
  const engineReady = Promise.resolve(engine).then(
    (compiled) => {
      ready = {
        engine: compiled,
        policies: new Map(compiled.policies.map((p) => [p.policy.id, p.policy])),
        setPolicies: new Set(compiled.policies.filter((p) => p.rule.scope === 'set').map((p) => p.policy.id)),
      };
      metrics.ready.set(1);
      app.log.info(
        { event: 'ready', policies: compiled.policies.length },
        'policies compiled; ready for admission requests',
      );
      return compiled;
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
          (app.server as import('node:https').Server).setSecureContext(httpsOptions(material));
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

  // Request bodies: plain JSON.parse, and fastify's own parser (secure-json-parse, which also
  // refuses `__proto__` and `constructor` keys) only for bodies that could hold such a key, written
  // out or escaped. Its two scans of every body cost more than a third of the parse itself.
  const guardedJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (
      text.length === 0 ||
      text.includes('__proto__') ||
      text.includes('constructor') ||
      text.includes('\\u')
    ) {
      guardedJson(request, text, done);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // The default parser words the error (FST_ERR_CTP_INVALID_JSON_BODY, HTTP 400).
      guardedJson(request, text, done);
      return;
    }
    done(null, value);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const statusCode =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (statusCode === 500) {
      request.log.error({ event: 'internal-error', error: describeError(error) }, 'request failed');
      return reply.code(500).send(errorBody(500, 'internal error; see the webhook log'));
    }
    const message =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `request body is larger than ${settings.maxBodyBytes} bytes`
        : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'the body must be application/json'
          : describeError(error);
    return reply.code(statusCode).send(errorBody(statusCode, message));
  });

  const admit = (route: AdmissionRoute) =>
    async function admissionRoute(
      request: import('fastify').FastifyRequest,
      reply: import('fastify').FastifyReply,
    ) {
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
      let review;
      try {
        review = parseAdmissionReview(request.body);
      } catch (error) {
        if (!(error instanceof ReviewError)) throw error;
        metrics.requests.inc({ route, operation: '', kind: '', decision: 'invalid' });
        request.log.warn(
          { event: 'admission-invalid', route, error: error.message },
          'invalid AdmissionReview',
        );
        return reply.code(400).send(errorBody(400, `invalid AdmissionReview: ${error.message}`));
      }
      const outcome = await decideAdmission(
        route,
        review.request,
        { engine: ready.engine, settings, scope, policies: ready.policies, setPolicies: ready.setPolicies },
        started,
      );
      const { record } = outcome;
      const labels = { route, operation: record.operation, kind: record.kind, decision: record.decision };
      metrics.requests.inc(labels);
      metrics.requestDuration.observe(labels, record.durationMs / 1000);
      if (record.evaluationMs !== undefined)
        metrics.evaluationDuration.observe({ route }, record.evaluationMs / 1000);
      if (outcome.budgetExceeded) metrics.budgetExceeded.inc({ route });
      if (!record.dryRun && route === 'validate') countFindings(metrics, outcome.findings);
      const findings = outcome.findings
        .slice(0, MAX_LOGGED_FINDINGS)
        .map((f) => ({ policy: f.policyId, status: f.status, path: f.path, message: f.message }));
      request.log.info({ event: 'admission', ...record, findings }, 'admission decision');
      return reply.code(200).send(admissionReviewResponse(review.apiVersion, outcome.response));
    };

  app.post('/validate', admit('validate'));
  app.post('/mutate', admit('mutate'));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (ready) return { status: 'ready', policies: ready.engine.policies.length };
    return reply
      .code(503)
      .send({ status: failure ? 'failed' : 'starting', ...(failure ? { error: failure } : {}) });
  });
  app.get('/metrics', async (request, reply) => {
    let text: string;
    try {
      text = await metricsText();
    } catch (error) {
      request.log.warn({ event: 'metrics-unavailable', error: describeError(error) }, 'metrics unavailable');
      return reply.code(503).send(errorBody(503, `metrics unavailable: ${describeError(error)}`));
    }
    reply.header('content-type', metrics.registry.contentType);
    return text;
  });

  Object.defineProperty(app, 'webhookMetrics', { value: metrics });
  Object.defineProperty(app, 'engineReady', { value: engineReady });
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
