import type { Finding } from '../model/finding.js';
import type { PolicyInfo } from '../model/policy.js';
import type { ResourceRef } from '../model/resource.js';
import { fingerprintOf, type Result } from '../model/result.js';
import { defineReporter, PIECE_CHARS, type Reporter } from './types.js';

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

/** One (resource, policy) pair of the report and its findings (none: the pair passed). */
interface Pair {
  resource: ResourceRef;
  policyId: string;
  findings: Finding[];
}

/**
 * The report's pairs by namespace ('' for the cluster report), produced one resource at a time in
 * report order: a large run has millions of pairs, which are never all held at once.
 */
class PairIndex {
  readonly namespaces: string[];
  private readonly byNamespace = new Map<string, ResourceRef[]>();
  private readonly findingsByResource = new Map<string, Finding[]>();

  constructor(private readonly result: Result) {
    const seen = new Set<string>();
    const addResource = (resource: ResourceRef) => {
      if (seen.has(resource.id)) return;
      seen.add(resource.id);
      const namespace = subjectOf(resource).namespace ?? '';
      let list = this.byNamespace.get(namespace);
      if (!list) this.byNamespace.set(namespace, (list = []));
      list.push(resource);
    };
    for (const resource of result.resources) addResource(resource);
    for (const finding of result.findings) {
      // Findings on resources the list does not hold (set rules over derived resources).
      addResource(finding.resource);
      let list = this.findingsByResource.get(finding.resource.id);
      if (!list) this.findingsByResource.set(finding.resource.id, (list = []));
      list.push(finding);
    }
    const subjectKey = (resource: ResourceRef) => {
      const ref = subjectOf(resource).ref;
      return ref ? `${ref.kind}/${ref.name}` : resource.id;
    };
    for (const list of this.byNamespace.values()) {
      const keys = new Map(list.map((resource) => [resource, subjectKey(resource)]));
      list.sort((a, b) => compare(keys.get(a)!, keys.get(b)!));
    }
    this.namespaces = [...this.byNamespace.keys()].filter((ns) => ns !== '').sort(compare);
  }

  /** The pairs of one namespace, by subject, policy and path. */
  *pairs(namespace: string): Generator<Pair> {
    for (const resource of this.byNamespace.get(namespace) ?? []) {
      const byPolicy = new Map<string, Finding[]>();
      for (const policyId of this.result.evaluated.get(resource.id) ?? []) byPolicy.set(policyId, []);
      for (const finding of this.findingsByResource.get(resource.id) ?? []) {
        let list = byPolicy.get(finding.policyId);
        if (!list) byPolicy.set(finding.policyId, (list = []));
        list.push(finding);
      }
      for (const policyId of [...byPolicy.keys()].sort(compare)) {
        const findings = byPolicy.get(policyId)!;
        if (findings.length > 1) findings.sort((a, b) => compare(a.path, b.path));
        yield { resource, policyId, findings };
      }
    }
  }
}

/** One report document: its head (everything but `results`) and its results, produced on demand. */
interface ReportDocument {
  head: Record<string, unknown>;
  count: number;
  results(): Generator<ReportResult>;
}

/**
 * The documents of a result in order: one PolicyReport per namespace, then the ClusterPolicyReport
 * (always present). Each namespace's pairs are walked twice, to count for the summary that heads
 * the document and then to produce its results.
 */
function* reportDocuments(result: Result, now: Date): Generator<ReportDocument> {
  const seconds = Math.floor(now.getTime() / 1000);
  const policies = new Map<string, PolicyInfo>(result.policies.map((policy) => [policy.id, policy]));
  const entry = (resource: ResourceRef, policyId: string, finding: Finding | undefined): ReportResult => {
    const subject = subjectOf(resource);
    const policy = policies.get(policyId);
    return {
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
  };
  const index = new PairIndex(result);
  const labels = { 'app.kubernetes.io/managed-by': 'parapet' };
  for (const namespace of [...index.namespaces, '']) {
    const summary: Record<PolicyResult, number> = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
    let count = 0;
    for (const pair of index.pairs(namespace)) {
      if (pair.findings.length === 0) summary.pass += 1;
      for (const finding of pair.findings) summary[resultOf(finding)] += 1;
      count += Math.max(1, pair.findings.length);
    }
    if (count === 0 && namespace !== '') continue;
    const head =
      namespace === ''
        ? {
            apiVersion: 'wgpolicyk8s.io/v1alpha2',
            kind: 'ClusterPolicyReport',
            metadata: { name: 'parapet-cluster', labels },
            summary,
          }
        : {
            apiVersion: 'wgpolicyk8s.io/v1alpha2',
            kind: 'PolicyReport',
            metadata: { name: 'parapet', namespace, labels },
            scope: { kind: 'Namespace', name: namespace },
            summary,
          };
    yield {
      head,
      count,
      *results() {
        for (const pair of index.pairs(namespace)) {
          if (pair.findings.length === 0) yield entry(pair.resource, pair.policyId, undefined);
          else for (const finding of pair.findings) yield entry(pair.resource, pair.policyId, finding);
        }
      },
    };
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
  return [...reportDocuments(result, now)].map((doc) => ({ ...doc.head, results: [...doc.results()] }));
}

export const policyReportReporter: Reporter = defineReporter({
  name: 'policy-report',
  description:
    'Kubernetes PolicyReport/ClusterPolicyReport (wgpolicyk8s.io/v1alpha2) YAML, one per namespace',
  machine: true,
  *chunks(result: Result, options) {
    let first = true;
    for (const doc of reportDocuments(result, options.now ?? new Date())) {
      const lines: string[] = [];
      toYaml(doc.head, '', lines);
      lines.push(doc.count === 0 ? 'results: []' : 'results:');
      yield `${first ? '' : '---\n'}${lines.join('\n')}\n`;
      first = false;
      // Results go out in pieces: a namespace of a million results is never one string.
      let piece = '';
      for (const item of doc.results()) {
        const lines: string[] = [];
        toYaml([item], '', lines);
        piece += `${lines.join('\n')}\n`;
        if (piece.length >= PIECE_CHARS) {
          yield piece;
          piece = '';
        }
      }
      if (piece) yield piece;
    }
  },
});
