/**
 * `parapet audit --write-policy-reports`: the audit's PolicyReports (`wgpolicyk8s.io/v1alpha2`, as
 * Kyverno writes them and Policy Reporter and `kubectl get polr` read them) kept in the cluster.
 * Each run applies its reports with server-side apply and deletes the reports parapet wrote before
 * that this run no longer has, so results of fixed or deleted objects disappear. A report whose
 * results would pass the API server's request size is split into `parapet`, `parapet-2`, ...
 */
import type { Result } from '../model/result.js';
import { ParapetError } from '../model/errors.js';
import { policyReportDocuments } from '../reporters/policy-report.js';
import { KubeApiError, type KubeApi } from './kube-api.js';

const GROUP_PATH = '/apis/wgpolicyk8s.io/v1alpha2';
const MANAGED_BY = 'app.kubernetes.io/managed-by=parapet';
const FIELD_MANAGER = 'parapet';
/**
 * Bytes of results per report object: well under etcd's default 1.5 MiB value limit and the API
 * server's 3 MiB request limit, leaving room for metadata and managed fields.
 */
export const MAX_REPORT_BYTES = 900 * 1024;

type Doc = Record<string, unknown>;
interface ReportResult {
  result: 'pass' | 'fail' | 'warn' | 'error' | 'skip';
}

export interface PolicyReportScope {
  /** The audit's namespaces; empty means the whole cluster, including the cluster report. */
  namespaces: string[];
}

export interface PolicyReportStats {
  applied: number;
  deleted: number;
}

function summaryOf(results: ReportResult[]): Record<string, number> {
  const summary: Record<string, number> = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const r of results) summary[r.result] = (summary[r.result] ?? 0) + 1;
  return summary;
}

/** Splits each report whose results exceed `maxBytes` of JSON into numbered parts. */
export function splitReports(documents: Doc[], maxBytes = MAX_REPORT_BYTES): Doc[] {
  const out: Doc[] = [];
  for (const doc of documents) {
    const results = (doc.results as ReportResult[] | undefined) ?? [];
    const parts: ReportResult[][] = [[]];
    let size = 0;
    for (const result of results) {
      const bytes = Buffer.byteLength(JSON.stringify(result)) + 1;
      if (size + bytes > maxBytes && parts[parts.length - 1]!.length > 0) {
        parts.push([]);
        size = 0;
      }
      parts[parts.length - 1]!.push(result);
      size += bytes;
    }
    const metadata = doc.metadata as Doc;
    parts.forEach((part, index) => {
      out.push({
        ...doc,
        metadata: {
          ...metadata,
          name: index === 0 ? metadata.name : `${String(metadata.name)}-${index + 1}`,
        },
        summary: summaryOf(part),
        results: part,
      });
    });
  }
  return out;
}

function reportPath(doc: Doc): string {
  const metadata = doc.metadata as { name: string; namespace?: string };
  return doc.kind === 'ClusterPolicyReport'
    ? `${GROUP_PATH}/clusterpolicyreports/${encodeURIComponent(metadata.name)}`
    : `${GROUP_PATH}/namespaces/${encodeURIComponent(metadata.namespace!)}/policyreports/${encodeURIComponent(metadata.name)}`;
}

const keyOf = (kind: string, namespace: string | undefined, name: string) =>
  `${kind}/${namespace ?? ''}/${name}`;

interface ReportList {
  items?: Array<{ metadata: { name: string; namespace?: string } }>;
}

/** A 404 on PolicyReports most often means their CRDs are not installed: say how to install them. */
function explained(error: unknown): unknown {
  if (error instanceof KubeApiError && error.status === 404)
    return new ParapetError(
      'PARAPET_CLUSTER',
      `${error.message} (are the wgpolicyk8s.io/v1alpha2 CRDs installed? kubectl apply -f webhooks/audit/policy-report-crds.yaml)`,
    );
  return error;
}

/**
 * Applies the result's PolicyReports and deletes parapet's earlier reports in scope that this run
 * did not write. Writes run a few at a time.
 */
export async function writePolicyReports(
  api: KubeApi,
  result: Result,
  scope: PolicyReportScope,
  now: Date = new Date(),
): Promise<PolicyReportStats> {
  const inScope = (namespace: string | undefined) =>
    scope.namespaces.length === 0 || (namespace !== undefined && scope.namespaces.includes(namespace));
  const documents = splitReports(
    policyReportDocuments(result, now).filter((doc) => {
      const namespace = (doc.metadata as { namespace?: string }).namespace;
      return doc.kind === 'ClusterPolicyReport' ? scope.namespaces.length === 0 : inScope(namespace);
    }),
  );
  const written = new Set<string>();
  const queue = [...documents];
  const apply = async () => {
    for (let doc = queue.shift(); doc; doc = queue.shift()) {
      const metadata = doc.metadata as { name: string; namespace?: string };
      try {
        await api.request({
          method: 'PATCH',
          path: `${reportPath(doc)}?fieldManager=${FIELD_MANAGER}&force=true`,
          body: doc,
          contentType: 'application/apply-patch+yaml',
        });
      } catch (error) {
        throw explained(error);
      }
      written.add(keyOf(String(doc.kind), metadata.namespace, metadata.name));
    }
  };
  await Promise.all(Array.from({ length: 4 }, apply));

  let deleted = 0;
  const stale = async (kind: 'PolicyReport' | 'ClusterPolicyReport', plural: string) => {
    let list: ReportList;
    try {
      list = await api.request<ReportList>({
        path: `${GROUP_PATH}/${plural}?labelSelector=${encodeURIComponent(MANAGED_BY)}`,
      });
    } catch (error) {
      throw explained(error);
    }
    for (const item of list.items ?? []) {
      const { name, namespace } = item.metadata;
      if (kind === 'PolicyReport' && !inScope(namespace)) continue;
      if (kind === 'ClusterPolicyReport' && scope.namespaces.length) continue;
      if (written.has(keyOf(kind, namespace, name))) continue;
      try {
        await api.request({ method: 'DELETE', path: reportPath({ kind, metadata: { name, namespace } }) });
        deleted += 1;
      } catch (error) {
        if (!(error instanceof KubeApiError && error.status === 404)) throw error;
      }
    }
  };
  await stale('PolicyReport', 'policyreports');
  await stale('ClusterPolicyReport', 'clusterpolicyreports');
  return { applied: written.size, deleted };
}
