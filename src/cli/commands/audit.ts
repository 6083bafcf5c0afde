import { Command } from 'commander';
import { ParapetError } from '../../model/errors.js';
import { exitCode } from '../../model/result.js';
import { applyBaseline, readBaseline, writeBaseline } from '../../engine/baseline.js';
import { collect, type CliIO } from '../io.js';
import { addReportOptions, parseOutputTargets, writeOutputs } from '../outputs.js';
import { createProgress } from '../progress.js';
import { addPolicyOptions, engineFromOptions, type PolicyOptions } from '../settings.js';
import { toolInfo } from '../version.js';

interface AuditOptions extends PolicyOptions {
  kubeconfig?: string;
  context?: string;
  namespace: string[];
  allNamespaces?: boolean;
  selector?: string;
  pageSize: string;
  includeOwned?: boolean;
  writePolicyReports?: boolean;
  requestTimeout: string;
  format: string[];
  output?: string;
  baseline?: string;
  writeBaseline?: string;
}

function positiveInteger(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new ParapetError('PARAPET_USAGE', `${option}: "${value}" is not a positive whole number`);
  return n;
}

/** `parapet audit`: judge what already runs in a cluster; exit 0, 1 (findings) or 2 (errors). */
export function auditCommand(io: CliIO, setExit: (code: number) => void): Command {
  const command = new Command('audit')
    .description('check the objects that already run in a Kubernetes cluster against the policies')
    .option(
      '--kubeconfig <file>',
      'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account)',
    )
    .option('--context <name>', 'kubeconfig context (default: the current context)')
    .option(
      '-n, --namespace <name>',
      'audit only this namespace (repeatable); cluster-scoped objects are then left out',
      collect,
      [],
    )
    .option('-A, --all-namespaces', 'audit every namespace and the cluster-scoped objects (the default)')
    .option('-l, --selector <selector>', 'only objects with these labels (a Kubernetes label selector)')
    .option('--page-size <n>', 'objects per list request', '500')
    .option('--include-owned', 'also judge objects a controller owns (the Pods of a ReplicaSet, ...)')
    .option(
      '--write-policy-reports',
      'create, update and delete PolicyReports in the cluster from the results',
    )
    .option('--request-timeout <seconds>', 'seconds before one API request is abandoned', '60');
  addReportOptions(command);
  addPolicyOptions(command);
  command.action(async (options: AuditOptions) => {
    if (options.allNamespaces && options.namespace.length)
      throw new ParapetError('PARAPET_USAGE', 'audit: give --namespace or --all-namespaces, not both');
    const pageSize = positiveInteger(options.pageSize, '--page-size');
    const timeoutSeconds = positiveInteger(options.requestTimeout, '--request-timeout');
    const targets = parseOutputTargets(options.format, options.output);
    const baseline = options.baseline === undefined ? undefined : readBaseline(options.baseline);
    const { engine, settings } = await engineFromOptions(options);
    // The Kubernetes client is loaded only by this command.
    const { connect } = await import('../../audit/kube-api.js');
    const { auditCluster } = await import('../../audit/audit.js');
    const api = await connect({ kubeconfig: options.kubeconfig, context: options.context, timeoutSeconds });
    const scope = {
      namespaces: options.namespace,
      labelSelector: options.selector,
      pageSize,
      includeOwned: options.includeOwned === true,
    };
    const progress = createProgress(io);
    let audited;
    try {
      progress.phase(`auditing ${api.server}`);
      audited = await auditCluster(api, engine, scope);
    } finally {
      progress.stop();
    }
    let { result } = audited;
    const { stats } = audited;
    io.stderr(
      `audit: ${stats.objects} objects of ${stats.types.length} kinds from ${api.server} (context ${api.context}; ${stats.pages} pages, ${stats.owned} controller-owned objects left out)\n`,
    );
    if (options.writePolicyReports) {
      const { writePolicyReports } = await import('../../audit/policy-reports.js');
      const written = await writePolicyReports(api, result, { namespaces: options.namespace });
      io.stderr(`audit: applied ${written.applied} PolicyReports, deleted ${written.deleted} stale ones\n`);
    }
    if (baseline) result = applyBaseline(result, baseline, options.baseline!);
    writeOutputs(io, result, targets, { failOn: settings.failOn, tool: toolInfo });
    if (options.writeBaseline !== undefined) writeBaseline(result, options.writeBaseline);
    setExit(
      exitCode(result, {
        failOn: settings.failOn,
        unknown: settings.unknown,
        baseline: baseline !== undefined,
      }),
    );
  });
  return command;
}
