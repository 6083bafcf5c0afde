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
import { loadTlsMaterial } from '../../server/tls.js';
import { serverSettingsFrom, type FailureDecision, type ServerSettings } from '../../server/settings.js';
import { collect, type CliIO } from '../io.js';
import { addPolicyOptions, buildSettings, engineFromOptions, type PolicyOptions } from '../settings.js';
import { preflightImageFiles } from '../../images/preflight.js';

interface ServeOptions extends PolicyOptions {
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
    .option('--fail-on <severity>', 'failing findings at or above this severity deny (default: any)')
    .addOption(
      new Option('--log-level <level>', 'decision and server log level')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('info'),
    )
    .option('--tls-reload-interval <ms>', 'how often the TLS files are checked for changes', '2000')
    .option('--shutdown-timeout <ms>', 'how long in-flight requests may take after SIGTERM', '10000')
    .option(
      '--workers <n>',
      'processes answering on the port: a number, or auto for one per available CPU (give the container as many CPUs)',
      '1',
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
    const reloadIntervalMs = positiveInteger(options.tlsReloadInterval, '--tls-reload-interval');
    const shutdownTimeoutMs = positiveInteger(options.shutdownTimeout, '--shutdown-timeout');
    const workers = workerCount(options.workers);
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
      await serveOne(io, options, { port, reloadIntervalMs, shutdownTimeoutMs, settings, role });
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
    reloadIntervalMs: number;
    shutdownTimeoutMs: number;
    settings: ServerSettings;
    role: ReturnType<typeof workerRole>;
  },
): Promise<void> {
  const { port, reloadIntervalMs, shutdownTimeoutMs, settings, role } = context;
  // Compile in the background: the port answers /healthz at once and /readyz once policies are
  // ready. A worker started after the first compiles before it listens: the port already
  // answers, and a connection handed to this worker should not find it unready.
  const loading = engineFromOptions(options).then((loaded) => {
    preflightImageFiles(loaded.settings);
    return loaded;
  });
  loading.catch(() => undefined);
  if (role === 'deferred') await loading;
  const app: WebhookServer = buildServer(
    loading.then((loaded) => loaded.engine),
    {
      settings,
      tls: { cert: options.tlsCert!, key: options.tlsKey!, clientCa: options.clientCa, reloadIntervalMs },
      logger: { level: options.logLevel, stream: { write: (line: string) => io.stdout(line) } },
      processMetrics: true,
      ...(role ? { metricsSource: clusterMetricsSource } : {}),
    },
  );
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
    const loaded = await loading;
    app.log.info({ event: 'policies', count: loaded.engine.policies.length }, 'serving admission requests');
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
