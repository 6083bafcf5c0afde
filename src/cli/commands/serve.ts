import cluster from 'node:cluster';
import { realpathSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { describeError, ParapetError } from '../../model/errors.js';
import { buildServer, closeGracefully, type WebhookServer } from '../../server/app.js';
import {
  announceReady,
  clusterMetricsSource,
  leaveCluster,
  superviseWorkers,
  workerRole,
} from '../../server/cluster.js';
import { EvaluationPool } from '../../server/evaluation-pool.js';
import type { NamespaceLabelWatch } from '../../server/namespace-labels.js';
import type { PolicyCatalogue } from '../../server/review-job.js';
import { loadTlsMaterial } from '../../server/tls.js';
import {
  serverLimits,
  serverSettingsFrom,
  type FailureDecision,
  type ServerSettings,
} from '../../server/settings.js';
import { collect, type CliIO } from '../io.js';
import { addPolicyOptions, buildSettings, type PolicyOptions } from '../settings.js';
import type { ServeEngineOptions } from '../serve-engine.js';
import { siblingModule } from '../../engine/worker-thread.js';
import { parseInterval, type BackgroundAudit } from '../../audit/background.js';

/** The background audit of `--audit-interval`, with the serve's own policy options passed on. */
async function startAudit(options: ServeOptions, app: WebhookServer): Promise<BackgroundAudit> {
  const { connect } = await import('../../audit/kube-api.js');
  const { startBackgroundAudit } = await import('../../audit/background.js');
  const api = await connect();
  const auditArgs = [
    ...(options.config ? ['--config', options.config] : []),
    ...options.policies.flatMap((p) => ['--policies', p]),
    ...options.select.flatMap((s) => ['--select', s]),
    ...options.skip.flatMap((s) => ['--skip', s]),
    ...(options.builtin ? [] : ['--no-builtin']),
  ];
  return startBackgroundAudit({
    api,
    intervalMs: parseInterval(options.auditInterval!)!,
    namespace: process.env.POD_NAMESPACE ?? 'parapet-system',
    auditArgs,
    registry: app.webhookMetrics.registry,
    log: (event, message) => app.log.info(event, message),
  });
}

/**
 * Where namespaceSelectors get the labels of the reviewed object's Namespace: a watch of the
 * cluster's Namespaces. `auto` watches when a policy needs them and a kubeconfig or service account
 * gives access; `cluster` requires the watch (the server does not start without it); `off` never
 * watches, and such selectors report unknown.
 */
type NamespaceLabelMode = 'auto' | 'cluster' | 'off';

async function startNamespaceLabels(
  mode: NamespaceLabelMode,
  app: WebhookServer,
  pool: EvaluationPool,
  catalogue: PolicyCatalogue | undefined,
): Promise<NamespaceLabelWatch | undefined> {
  const needed = mode === 'cluster' || catalogue?.readsNamespaceLabels === true;
  if (!needed) return undefined;
  const consequence = 'namespaceSelectors report unknown at admission';
  if (mode === 'off') {
    app.log.warn({ event: 'namespace-labels', mode }, `--namespace-labels=off: ${consequence}`);
    return undefined;
  }
  const { watchNamespaceLabels } = await import('../../server/namespace-labels.js');
  try {
    const watch = await watchNamespaceLabels({
      onError: (message) => app.log.warn({ event: 'namespace-labels', error: message }, message),
    });
    pool.setNamespaceLabels(watch.entries());
    watch.subscribe((entries) => pool.setNamespaceLabels(entries));
    app.log.info(
      { event: 'namespace-labels', namespaces: watch.size },
      `watching the labels of ${watch.size} namespaces for namespaceSelectors`,
    );
    return watch;
  } catch (error) {
    if (mode === 'cluster') throw error;
    app.log.warn(
      { event: 'namespace-labels', error: describeError(error) },
      `policies select namespaces by label, but ${describeError(error)}: ${consequence} (grant get, list and watch on namespaces, see webhooks/namespace-labels)`,
    );
    return undefined;
  }
}

interface ServeOptions extends PolicyOptions {
  namespaceLabels: NamespaceLabelMode;
  host: string;
  port: string;
  tlsCert?: string;
  tlsKey?: string;
  clientCa?: string;
  mutate: string[];
  excludeNamespace: string[];
  excludeUser: string[];
  excludeGroup: string[];
  namespace?: string;
  budgetMs?: string;
  failureDecision?: FailureDecision;
  maxBodyBytes?: string;
  logLevel: string;
  tlsReloadInterval: string;
  shutdownTimeout: string;
  workers: string;
  probePort: string;
  probeHost?: string;
  auditInterval?: string;
}

/** The commander attribute of a `--long-flag`. */
function attributeOf(flag: string): string {
  return flag.slice(2).replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

const MAX_WORKERS = 64;

function wholeNumber(value: string, option: string, min: number, max: number): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isInteger(number) || number < min || number > max) {
    throw new ParapetError(
      'PARAPET_USAGE',
      `${option}: "${value}" is not a whole number between ${min} and ${max}`,
    );
  }
  return number;
}

function positiveInteger(value: string, option: string, max = Number.MAX_SAFE_INTEGER): number {
  return wholeNumber(value, option, 1, max);
}

/** Command-line flags over the configuration file's `server:` section. */
function serverSettings(options: ServeOptions, fromConfig: ServerSettings): ServerSettings {
  const settings = { ...fromConfig };
  if (options.mutate.length) settings.mutate = options.mutate;
  if (options.excludeNamespace.length) settings.excludeNamespaces = options.excludeNamespace;
  if (options.excludeUser.length) settings.excludeUsers = options.excludeUser;
  if (options.excludeGroup.length) settings.excludeGroups = options.excludeGroup;
  if (options.namespace) settings.namespace = options.namespace;
  if (options.budgetMs !== undefined)
    settings.budgetMs = positiveInteger(options.budgetMs, '--budget-ms', 29_000);
  if (options.failureDecision) settings.failureDecision = options.failureDecision;
  if (options.maxBodyBytes !== undefined)
    settings.maxBodyBytes = positiveInteger(options.maxBodyBytes, '--max-body-bytes');
  for (const [key, { min, max, flag }] of Object.entries(serverLimits)) {
    const value = (options as unknown as Record<string, string | undefined>)[attributeOf(flag)];
    if (value !== undefined) settings[key as keyof typeof serverLimits] = wholeNumber(value, flag, min, max);
  }
  return settings;
}

function workerCount(value: string): number {
  if (value === 'auto') return Math.min(availableParallelism(), MAX_WORKERS);
  return positiveInteger(value, '--workers', MAX_WORKERS);
}

/** The built CLI's entry point, which `--workers` starts once per worker. */
function cliEntryPoint(): string {
  const main = fileURLToPath(new URL('../main.js', import.meta.url));
  const invoked = process.argv[1];
  const same = (() => {
    try {
      return invoked !== undefined && realpathSync(invoked) === realpathSync(main);
    } catch {
      return false;
    }
  })();
  if (!same)
    throw new ParapetError(
      'PARAPET_USAGE',
      'serve: --workers above 1 needs the parapet command itself (it starts one process per worker)',
    );
  return main;
}

/** `parapet serve`: the validating and mutating admission webhook over HTTPS. Returns when shut down. */
export function serveCommand(io: CliIO, setExit: (code: number) => void = () => {}): Command {
  const command = new Command('serve')
    .description(
      'run the Kubernetes admission webhook (POST /validate, /mutate; GET /healthz, /readyz, /metrics) over HTTPS',
    )
    .option('--host <address>', 'address to listen on', '0.0.0.0')
    .option('--port <port>', 'port to listen on', '8443')
    .option('--tls-cert <file>', 'PEM certificate chain (reloaded when the file changes)')
    .option('--tls-key <file>', 'PEM private key (reloaded when the file changes)')
    .option(
      '--client-ca <file>',
      "require client certificates (the API server's) signed by this PEM CA bundle",
    )
    .option('--mutate <glob>', 'policy ids whose fix patches /mutate returns (repeatable)', collect, [])
    .option(
      '--exclude-namespace <glob>',
      'namespaces never evaluated (repeatable; default kube-system)',
      collect,
      [],
    )
    .option('--exclude-user <glob>', 'user names never evaluated (repeatable)', collect, [])
    .option('--exclude-group <glob>', 'groups never evaluated (repeatable)', collect, [])
    .option(
      '--namespace <name>',
      "the webhook's own namespace, never evaluated (default $POD_NAMESPACE or parapet-system)",
    )
    .option('--budget-ms <ms>', 'per-request evaluation budget (default 1500)')
    .addOption(
      new Option(
        '--failure-decision <decision>',
        'answer when the budget is exceeded (default deny)',
      ).choices(['allow', 'deny']),
    )
    .option('--max-body-bytes <bytes>', 'largest accepted request body (default 3211264)')
    .option('--max-containers <n>', 'containers one pod spec may hold; more is denied (default 100)')
    .option('--max-list-items <n>', 'items any list in the object may hold; more is denied (default 2000)')
    .option('--max-depth <n>', 'nesting depth of the object; deeper is denied (default 64)')
    .option('--max-values <n>', 'JSON values one request body may hold; more is denied (default 200000)')
    .option('--max-findings <n>', 'findings one review may raise; more is denied (default 5000)')
    .option('--max-denied-findings <n>', 'findings a denial message names (default 10)')
    .option(
      '--max-inflight-bytes <bytes>',
      'request bytes held across all requests in flight; more is answered 503 (default 25165824)',
    )
    .option('--max-connections <n>', 'concurrent connections to the admission port (default 256)')
    .option('--request-timeout-ms <ms>', 'time a client has to send a whole request (default 10000)')
    .option('--max-requests-per-connection <n>', 'requests per keep-alive connection (default 1000)')
    .option('--evaluation-threads <n>', 'threads evaluating reviews, one review each at a time (default 2)')
    .option('--evaluation-heap-mib <mib>', 'heap limit of each evaluation thread (default 64)')
    .option(
      '--spare-threads <n>',
      'loaded evaluation threads held in reserve for a thread that is stopped or stuck (default 1)',
    )
    .option('--probe-port <port>', 'port of GET /healthz, /readyz and /metrics over plain HTTP', '8080')
    .option('--probe-host <address>', 'address of the probe port (default: --host)')
    .option('--fail-on <severity>', 'failing findings at or above this severity deny (default: any)')
    .addOption(
      new Option('--log-level <level>', 'decision and server log level')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('info'),
    )
    .option('--tls-reload-interval <ms>', 'how often the TLS files are checked for changes', '2000')
    .option('--shutdown-timeout <ms>', 'how long in-flight requests may take after SIGTERM', '10000')
    .option(
      '--audit-interval <duration>',
      'also audit the cluster this often (1h, 30m; at least 1m) on one replica, chosen by a Lease, and keep PolicyReports',
    )
    .addOption(
      new Option(
        '--namespace-labels <source>',
        "where namespaceSelectors read a Namespace's labels: auto (watch the cluster's Namespaces when a policy needs them and access is granted), cluster (require the watch), off",
      )
        .choices(['auto', 'cluster', 'off'])
        .default('auto'),
    )
    .option(
      '--workers <n>',
      'processes answering on the port: a number, or auto for one per available CPU (give the container as many CPUs)',
      '1',
    );
  command.addHelpText(
    'after',
    '\nThe limits can also be set in the server section of parapet.yaml (maxContainers, maxListItems, ...); flags win.',
  );
  addPolicyOptions(command);
  command.action(async (options: ServeOptions) => {
    if (!options.tlsCert || !options.tlsKey) {
      throw new ParapetError(
        'PARAPET_USAGE',
        'serve: --tls-cert and --tls-key are required (the API server only calls webhooks over HTTPS)',
      );
    }
    // Port 0 picks a free port (tests, sidecars that read the address from the log).
    const port = wholeNumber(options.port, '--port', 0, 65535);
    const probePort = wholeNumber(options.probePort, '--probe-port', 0, 65535);
    if (probePort !== 0 && probePort === port)
      throw new ParapetError('PARAPET_USAGE', `serve: --probe-port must differ from --port (both ${port})`);
    const reloadIntervalMs = positiveInteger(options.tlsReloadInterval, '--tls-reload-interval');
    const shutdownTimeoutMs = positiveInteger(options.shutdownTimeout, '--shutdown-timeout');
    const workers = workerCount(options.workers);
    if (options.auditInterval !== undefined && parseInterval(options.auditInterval) === undefined)
      throw new ParapetError(
        'PARAPET_USAGE',
        `--audit-interval: "${options.auditInterval}" is not a duration of at least a minute (90s, 30m, 1h)`,
      );
    const role = workerRole(io.env);
    // The configuration file's `server:` section (Settings.domains.server) under the flags.
    const settings = serverSettings(options, serverSettingsFrom(buildSettings(options).domains));
    if (workers > 1 && role === undefined) {
      // The primary: check what it can once, so a broken certificate is one line, then supervise.
      loadTlsMaterial({ cert: options.tlsCert, key: options.tlsKey, clientCa: options.clientCa });
      cluster.setupPrimary({ exec: cliEntryPoint(), args: process.argv.slice(2) });
      const code = await superviseWorkers({
        workers,
        write: (line) => io.stdout(line),
        logLevel: options.logLevel,
        shutdownTimeoutMs,
      });
      setExit(code);
      return;
    }
    try {
      await serveOne(io, options, { port, probePort, reloadIntervalMs, shutdownTimeoutMs, settings, role });
    } finally {
      if (role) leaveCluster();
    }
  });
  return command;
}

/** One server process: the whole webhook, or one worker of `--workers`. Returns when shut down. */
async function serveOne(
  io: CliIO,
  options: ServeOptions,
  context: {
    port: number;
    probePort: number;
    reloadIntervalMs: number;
    shutdownTimeoutMs: number;
    settings: ServerSettings;
    role: ReturnType<typeof workerRole>;
  },
): Promise<void> {
  const { port, probePort, reloadIntervalMs, shutdownTimeoutMs, settings, role } = context;
  // Policies are loaded and evaluated by the evaluation threads; this thread only answers HTTP, so
  // a slow review never holds up the probes or the other reviews. They compile in the background:
  // the port answers /healthz at once and /readyz once policies are ready. A worker started after
  // the first compiles before it listens: the port already answers, and a connection handed to
  // this worker should not find it unready.
  const pool = new EvaluationPool({
    loader: {
      module: siblingModule(import.meta.url, '../serve-engine').href,
      export: 'loadServeEngine',
      data: { ...options, evaluationHeapMiB: settings.evaluationHeapMiB } satisfies ServeEngineOptions,
    },
    settings,
  });
  if (role === 'deferred') {
    try {
      await pool.start().ready;
    } catch (error) {
      await pool.close();
      throw error;
    }
  }
  const app: WebhookServer = buildServer(pool, {
    settings,
    tls: { cert: options.tlsCert!, key: options.tlsKey!, clientCa: options.clientCa, reloadIntervalMs },
    logger: { level: options.logLevel, stream: { write: (line: string) => io.stdout(line) } },
    processMetrics: true,
    ...(role ? { metricsSource: clusterMetricsSource } : {}),
  });
  const probeHost = options.probeHost ?? options.host;
  try {
    await app.listen({ host: options.host, port });
  } catch (error) {
    await app.close();
    throw new ParapetError(
      'PARAPET_USAGE',
      `serve: cannot listen on ${options.host}:${port}: ${describeError(error)}`,
      { cause: error },
    );
  }
  try {
    const url = await app.probes.listen({ host: probeHost, port: probePort });
    app.log.info({ event: 'probes-listening', url }, `probes and metrics listening at ${url}`);
  } catch (error) {
    await app.close();
    throw new ParapetError(
      'PARAPET_USAGE',
      `serve: cannot listen on ${probeHost}:${probePort} (--probe-port): ${describeError(error)}`,
      { cause: error },
    );
  }
  // Threads start once both ports are open: a start-up that cannot listen loads no policies.
  pool.start();
  // Required: a server that cannot see the cluster's Namespaces does not start.
  let namespaceLabels =
    options.namespaceLabels === 'cluster'
      ? await startNamespaceLabels('cluster', app, pool, undefined).catch(async (error: unknown) => {
          await app.close();
          throw error;
        })
      : undefined;
  const audit = options.auditInterval === undefined ? undefined : await startAudit(options, app);
  // Signals are honoured from the moment the port is open, while policies still compile.
  let stopping = false;
  let release = () => {};
  const stopped = new Promise<void>((resolve) => {
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    release = () => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
    };
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      void audit?.stop();
      void namespaceLabels?.stop();
      app.drain();
      app.log.info({ event: 'shutdown', signal }, 'shutting down: finishing in-flight requests');
      void closeGracefully(app, shutdownTimeoutMs).then(() => {
        release();
        resolve();
      });
    };
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  try {
    const catalogue = await app.engineReady;
    if (options.namespaceLabels !== 'cluster')
      namespaceLabels = await startNamespaceLabels(options.namespaceLabels, app, pool, catalogue);
    app.log.info({ event: 'policies', count: catalogue.policies }, 'serving admission requests');
    if (role) announceReady();
  } catch (error) {
    if (!stopping) {
      release();
      await app.close();
      throw error;
    }
  }
  await stopped;
}
