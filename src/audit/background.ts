/**
 * `serve --audit-interval`: the audit as a background scan of the webhook's deployment. Every
 * replica competes for one `coordination.k8s.io/v1` Lease; the holder runs `parapet audit
 * --write-policy-reports` as a child process once per interval (so the scan's memory and CPU never
 * touch the admission threads, and a crash of the scan is only a failed run), and every replica
 * exposes what the last run it made found as gauges with bounded labels.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Counter, Gauge, type Registry } from 'prom-client';
import { KubeApiError, type KubeApi } from './kube-api.js';

export interface BackgroundAuditOptions {
  api: KubeApi;
  /** Time between the starts of two runs. */
  intervalMs: number;
  /** The Lease's namespace (the pod's) and name. */
  namespace: string;
  leaseName?: string;
  /** This replica's identity in the Lease (default: $POD_NAME, else host name and pid). */
  identity?: string;
  /** Arguments passed on to `parapet audit` (policy selection, configuration). */
  auditArgs: string[];
  registry: Registry;
  log: (event: Record<string, unknown>, message: string) => void;
  /** Namespaces given their own label value; the rest are summed under `other` (default 100). */
  maxNamespaceLabels?: number;
  /** Lease duration in seconds (default 30); it is renewed every third of that. */
  leaseSeconds?: number;
  /** The parapet CLI to run the audit with (default: the one this process runs from). */
  cli?: string;
}

export interface BackgroundAudit {
  /** Whether this replica holds the Lease now. */
  readonly leading: boolean;
  stop(): Promise<void>;
}

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** MicroTime as the API server writes it: RFC 3339 with microseconds. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Takes or renews the Lease: this replica holds it when it is free, expired or already its own.
 * Writes carry the resourceVersion read, so two replicas can never both win.
 */
export async function acquireLease(
  api: KubeApi,
  namespace: string,
  name: string,
  identity: string,
  leaseSeconds: number,
  now: Date = new Date(),
): Promise<boolean> {
  const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  let lease: Lease | undefined;
  try {
    lease = await api.request<Lease>({ path: `${base}/${encodeURIComponent(name)}` });
  } catch (error) {
    if (!(error instanceof KubeApiError && error.status === 404)) throw error;
  }
  const spec = {
    holderIdentity: identity,
    leaseDurationSeconds: leaseSeconds,
    renewTime: microTime(now),
  };
  try {
    if (!lease) {
      await api.request({
        method: 'POST',
        path: base,
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
        },
      });
      return true;
    }
    const held = lease.spec?.holderIdentity;
    const renewed = Date.parse(lease.spec?.renewTime ?? '') || 0;
    const expired = renewed + (lease.spec?.leaseDurationSeconds ?? leaseSeconds) * 1000 < now.getTime();
    if (held && held !== identity && !expired) return false;
    const takeover = held !== identity;
    await api.request({
      method: 'PUT',
      path: `${base}/${encodeURIComponent(name)}`,
      body: {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace, resourceVersion: lease.metadata.resourceVersion },
        spec: {
          ...lease.spec,
          ...spec,
          ...(takeover
            ? { acquireTime: microTime(now), leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1 }
            : {}),
        },
      },
    });
    return true;
  } catch (error) {
    // Another replica wrote first (409 on update, 409 AlreadyExists on create).
    if (error instanceof KubeApiError && error.status === 409) return false;
    throw error;
  }
}

interface AuditReport {
  findings: Array<{
    policyId: string;
    severity: string;
    status: string;
    resource: { id: string; source: string };
  }>;
}

/** The namespace of a Kubernetes resource id (`Kind/ns/name`), or '' for cluster-scoped ones. */
function namespaceOf(id: string): string {
  const parts = id.split('/');
  return parts.length >= 3 ? parts[1]! : '';
}

/** The CLI entry point this process runs from, for the audit child. */
const cliEntry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../cli/main.js');

export function startBackgroundAudit(options: BackgroundAuditOptions): BackgroundAudit {
  const leaseName = options.leaseName ?? 'parapet-audit';
  const identity = options.identity ?? process.env.POD_NAME ?? `${hostname()}-${process.pid}`;
  const leaseSeconds = options.leaseSeconds ?? 30;
  const maxNamespaces = options.maxNamespaceLabels ?? 100;
  const violations = new Gauge({
    name: 'parapet_audit_violations',
    help: 'Failing and warning findings of the last background audit, by policy, severity and namespace (namespaces past the label limit are summed as "other"; "" is cluster-scoped and non-Kubernetes resources)',
    labelNames: ['policy', 'severity', 'namespace', 'status'],
    registers: [options.registry],
  });
  const runs = new Counter({
    name: 'parapet_audit_runs_total',
    help: 'Background audits run by this replica, by result',
    labelNames: ['result'],
    registers: [options.registry],
  });
  const lastRun = new Gauge({
    name: 'parapet_audit_last_run_timestamp_seconds',
    help: 'When the last background audit of this replica finished',
    registers: [options.registry],
  });
  const duration = new Gauge({
    name: 'parapet_audit_duration_seconds',
    help: 'How long the last background audit of this replica took',
    registers: [options.registry],
  });
  const leader = new Gauge({
    name: 'parapet_audit_leader',
    help: '1 while this replica holds the audit Lease',
    registers: [options.registry],
  });

  let leading = false;
  let stopped = false;
  let nextRun = 0;
  let running: Promise<void> | undefined;
  let child: ReturnType<typeof spawn> | undefined;

  const record = (report: AuditReport) => {
    violations.reset();
    const namespaces = new Set<string>();
    for (const finding of report.findings) {
      if (finding.status !== 'fail' && finding.status !== 'warn') continue;
      let namespace = finding.resource.source === 'kubernetes' ? namespaceOf(finding.resource.id) : '';
      if (namespace !== '' && !namespaces.has(namespace)) {
        if (namespaces.size >= maxNamespaces) namespace = 'other';
        else namespaces.add(namespace);
      }
      violations.inc({
        policy: finding.policyId,
        severity: finding.severity,
        namespace,
        status: finding.status,
      });
    }
  };

  const runAudit = async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-audit-'));
    const output = path.join(dir, 'audit.json');
    const started = Date.now();
    try {
      let stderr = '';
      const code = await new Promise<number>((resolve, reject) => {
        child = spawn(
          process.execPath,
          [
            options.cli ?? cliEntry,
            'audit',
            '--write-policy-reports',
            '--format',
            'json',
            '--output',
            output,
            ...options.auditArgs,
          ],
          { stdio: ['ignore', 'ignore', 'pipe'] },
        );
        child.stderr!.on('data', (chunk: Buffer) => {
          stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
        });
        child.on('error', reject);
        child.on('exit', (exitCode, signal) => {
          child = undefined;
          if (exitCode === 0 || exitCode === 1) resolve(exitCode);
          else
            reject(
              new Error(`audit exited with ${signal ?? exitCode}: ${stderr.trim().split('\n').pop() ?? ''}`),
            );
        });
      });
      let report: AuditReport;
      try {
        report = JSON.parse(readFileSync(output, 'utf8')) as AuditReport;
      } catch (error) {
        throw new Error(`audit wrote no report (${(error as Error).message}): ${stderr.trim().slice(-1500)}`);
      }
      record(report);
      runs.inc({ result: code === 0 ? 'clean' : 'findings' });
      options.log(
        { event: 'audit', findings: report.findings.length, seconds: (Date.now() - started) / 1000 },
        'background audit finished',
      );
    } catch (error) {
      runs.inc({ result: 'error' });
      options.log({ event: 'audit-error', error: (error as Error).message }, 'background audit failed');
    } finally {
      duration.set((Date.now() - started) / 1000);
      lastRun.set(Date.now() / 1000);
      rmSync(dir, { recursive: true, force: true });
    }
  };

  const tick = async () => {
    if (stopped) return;
    try {
      const was = leading;
      leading = await acquireLease(options.api, options.namespace, leaseName, identity, leaseSeconds);
      leader.set(leading ? 1 : 0);
      if (leading !== was)
        options.log(
          { event: 'audit-lease', leading, identity },
          leading ? 'holding the audit lease' : 'lost the audit lease',
        );
    } catch (error) {
      leading = false;
      leader.set(0);
      options.log(
        { event: 'audit-lease-error', error: (error as Error).message },
        'cannot reach the audit lease',
      );
    }
    if (leading && !running && Date.now() >= nextRun) {
      nextRun = Date.now() + options.intervalMs;
      running = runAudit().finally(() => {
        running = undefined;
      });
    }
  };

  void tick();
  const timer = setInterval(() => void tick(), (leaseSeconds * 1000) / 3);
  timer.unref();

  return {
    get leading() {
      return leading;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      child?.kill('SIGTERM');
      await running;
    },
  };
}

/** `1h`, `30m`, `90s` or plain seconds, as milliseconds; undefined for anything else. */
export function parseInterval(text: string): number | undefined {
  const match = /^(\d+)(s|m|h)?$/.exec(text.trim());
  if (!match) return undefined;
  const n = Number(match[1]);
  const ms = n * (match[2] === 'h' ? 3_600_000 : match[2] === 'm' ? 60_000 : 1_000);
  return ms >= 60_000 ? ms : undefined;
}
