import type { Finding } from '../model/finding.js';
import type { PolicyInfo } from '../model/policy.js';
import type { ResourceRef } from '../model/resource.js';
import { fingerprintOf, type Result } from '../model/result.js';
import type { Reporter } from './types.js';

/**
 * Kubernetes PolicyReports (`wgpolicyk8s.io/v1alpha2`, the format Kyverno and Policy Reporter
 * read) as multi-document YAML: one PolicyReport per namespace, plus one ClusterPolicyReport for
 * cluster-scoped objects and for resources that are not Kubernetes objects (Terraform, images).
 * Every evaluated (resource, policy) pair is a result, so passes are visible too.
 */

type PolicyResult = 'pass' | 'fail' | 'warn' | 'error' | 'skip';

interface ReportResult {
  source: string;
  policy: string;
  category?: string;
  severity?: string;
  timestamp: { seconds: number; nanos: number };
  result: PolicyResult;
  scored: boolean;
  resources?: Array<{ kind: string; name: string; namespace?: string }>;
  message?: string;
  properties?: Record<string, string>;
}

interface Subject {
  namespace?: string;
  ref?: { kind: string; name: string; namespace?: string };
}

/** Namespace and object reference of a Kubernetes resource id (`Kind/ns/name` or `Kind/name`). */
function subjectOf(resource: ResourceRef): Subject {
  if (resource.source !== 'kubernetes') return {};
  const parts = resource.id.split('/');
  if (parts.length >= 3) {
    const [kind, namespace, ...name] = parts;
    return { namespace, ref: { kind: kind!, name: name.join('/'), namespace } };
  }
  return { ref: { kind: parts[0]!, name: parts.slice(1).join('/') } };
}

function resultOf(finding: Finding): PolicyResult {
  switch (finding.status) {
    case 'fail':
      return 'fail';
    case 'error':
      return 'error';
    case 'warn':
    case 'audit':
      return 'warn';
    default:
      return 'skip'; // unknown, waived, approved: not a verdict the report should count as pass or fail
  }
}

function properties(
  finding: Finding | undefined,
  resource: ResourceRef,
  subject: Subject,
): Record<string, string> {
  const props: Record<string, string> = {};
  if (!subject.ref) {
    props.resource = resource.id;
    props.resourceKind = resource.kind;
    props.source = resource.source;
  }
  props.file = finding?.resource.file ?? resource.file;
  props.line = String(finding?.resource.line ?? resource.line);
  if (!finding) return props;
  props.status = finding.status;
  props.mode = finding.mode;
  if (finding.path) props.path = finding.path;
  props.fingerprint = fingerprintOf(finding);
  if (finding.baseline) props.baseline = 'true';
  if (finding.unknownPaths?.length) props.unknownPaths = finding.unknownPaths.join(',');
  if (finding.waiver) {
    props.waiverOwner = finding.waiver.owner;
    props.waiverExpires = finding.waiver.expires || 'never';
    props.waiverReason = finding.waiver.reason;
    if (finding.waiver.ticket) props.waiverTicket = finding.waiver.ticket;
  }
  if (finding.approval) props.approvedBy = finding.approval.by;
  return props;
}

function summaryOf(results: ReportResult[]): Record<PolicyResult, number> {
  const summary: Record<PolicyResult, number> = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const result of results) summary[result.result] += 1;
  return summary;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Strings YAML reads back as themselves without quotes (and not as booleans, nulls or numbers). */
const plainSafe = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
const reserved = /^(y|n|yes|no|on|off|true|false|null)$/i;

function scalar(value: unknown): string {
  if (typeof value === 'string')
    return plainSafe.test(value) && !reserved.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return 'null';
}

/**
 * Block-style YAML for plain data (objects, arrays, strings, numbers, booleans). Strings that are
 * not plainly safe are written double-quoted with JSON escapes, which YAML reads identically. A
 * dedicated emitter because the general one took 46 times the JSON report's time on 10,000 results.
 */
function toYaml(value: unknown, indent: string, out: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item !== null && typeof item === 'object' && Object.keys(item).length > 0) {
        const nested: string[] = [];
        toYaml(item, `${indent}  `, nested);
        out.push(`${indent}- ${nested[0]!.slice(indent.length + 2)}`, ...nested.slice(1));
      } else {
        const empty = Array.isArray(item) ? '[]' : '{}';
        out.push(`${indent}- ${item !== null && typeof item === 'object' ? empty : scalar(item)}`);
      }
    }
    return;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (item === undefined) continue;
    const name = scalar(key);
    if (item !== null && typeof item === 'object') {
      const empty = Array.isArray(item) ? item.length === 0 : Object.keys(item).length === 0;
      if (empty) out.push(`${indent}${name}: ${Array.isArray(item) ? '[]' : '{}'}`);
      else {
        out.push(`${indent}${name}:`);
        toYaml(item, Array.isArray(item) ? indent : `${indent}  `, out);
      }
    } else {
      out.push(`${indent}${name}: ${scalar(item)}`);
    }
  }
}

/**
 * The PolicyReport and ClusterPolicyReport objects of a result: one PolicyReport per namespace, and
 * one ClusterPolicyReport (always present) for everything else. `parapet audit
 * --write-policy-reports` applies these to the cluster.
 */
export function policyReportDocuments(
  result: Result,
  now: Date = new Date(),
): Array<Record<string, unknown>> {
  const seconds = Math.floor(now.getTime() / 1000);
  const policies = new Map<string, PolicyInfo>(result.policies.map((policy) => [policy.id, policy]));
  const findingsByPair = new Map<string, Finding[]>();
  for (const finding of result.findings) {
    const key = `${finding.resource.id}\0${finding.policyId}`;
    const list = findingsByPair.get(key) ?? [];
    list.push(finding);
    findingsByPair.set(key, list);
  }
  // Namespace ('' for the cluster report) -> results.
  const groups = new Map<string, ReportResult[]>();
  const add = (resource: ResourceRef, policyId: string, finding: Finding | undefined) => {
    const subject = subjectOf(resource);
    const policy = policies.get(policyId);
    const entry: ReportResult = {
      source: 'parapet',
      policy: policyId,
      ...(policy ? { category: policy.category } : {}),
      severity: finding?.severity ?? policy?.severity ?? 'info',
      timestamp: { seconds, nanos: 0 },
      result: finding ? resultOf(finding) : 'pass',
      scored: finding ? finding.mode === 'enforce' : true,
      ...(subject.ref ? { resources: [subject.ref] } : {}),
      message: finding ? finding.message : policy ? `${policy.title}: passed` : 'passed',
      properties: properties(finding, resource, subject),
    };
    const key = subject.namespace ?? '';
    const list = groups.get(key) ?? [];
    list.push(entry);
    groups.set(key, list);
  };
  const seen = new Set<string>();
  for (const resource of result.resources) {
    for (const policyId of result.evaluated.get(resource.id) ?? []) {
      const key = `${resource.id}\0${policyId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const findings = findingsByPair.get(key);
      if (!findings) add(resource, policyId, undefined);
      else for (const finding of findings) add(resource, policyId, finding);
    }
  }
  // Findings on pairs the evaluated map does not list (set rules over derived resources).
  for (const [key, findings] of findingsByPair) {
    if (seen.has(key)) continue;
    for (const finding of findings) add(finding.resource, finding.policyId, finding);
  }

  const labels = { 'app.kubernetes.io/managed-by': 'parapet' };
  const documents: Array<Record<string, unknown>> = [];
  const namespaces = [...groups.keys()].filter((ns) => ns !== '').sort(compare);
  for (const namespace of [...namespaces, '']) {
    const results = groups.get(namespace);
    if (!results && namespace !== '') continue;
    const subjectKey = (r: ReportResult) =>
      r.resources?.[0] ? `${r.resources[0].kind}/${r.resources[0].name}` : (r.properties?.resource ?? '');
    const list = (results ?? []).sort(
      (a, b) =>
        compare(subjectKey(a), subjectKey(b)) ||
        compare(a.policy, b.policy) ||
        compare(a.properties?.path ?? '', b.properties?.path ?? ''),
    );
    documents.push(
      namespace === ''
        ? {
            apiVersion: 'wgpolicyk8s.io/v1alpha2',
            kind: 'ClusterPolicyReport',
            metadata: { name: 'parapet-cluster', labels },
            summary: summaryOf(list),
            results: list,
          }
        : {
            apiVersion: 'wgpolicyk8s.io/v1alpha2',
            kind: 'PolicyReport',
            metadata: { name: 'parapet', namespace, labels },
            scope: { kind: 'Namespace', name: namespace },
            summary: summaryOf(list),
            results: list,
          },
    );
  }
  return documents;
}

export const policyReportReporter: Reporter = {
  name: 'policy-report',
  description:
    'Kubernetes PolicyReport/ClusterPolicyReport (wgpolicyk8s.io/v1alpha2) YAML, one per namespace',
  machine: true,
  render(result: Result, options) {
    return policyReportDocuments(result, options.now ?? new Date())
      .map((doc) => {
        const lines: string[] = [];
        toYaml(doc, '', lines);
        return `${lines.join('\n')}\n`;
      })
      .join('---\n');
  },
};
