import { minimatch } from 'minimatch';
import type { Mode } from '../model/policy.js';
import type { Resource } from '../model/resource.js';
import { regoPackage } from './conftest.js';
import type { RegoSourceFile, RegoVersion } from './compiler.js';
import { selectorMatches } from '../engine/label-selector.js';

export const gatekeeperTarget = 'admission.k8s.gatekeeper.sh';

/** A ConstraintTemplate, reduced to what evaluation needs. */
export interface ConstraintTemplate {
  file: string;
  name: string;
  /** The constraint kind it defines (`K8sRequiredLabels`). */
  kind: string;
  description?: string;
  /** `spec.crd.spec.validation.openAPIV3Schema`: the schema of a constraint's parameters. */
  parametersSchema?: Record<string, unknown>;
  sources: RegoSourceFile[];
  /** The template's package; the Wasm entrypoint is `<package>/violation`. */
  packageName: string;
  version: RegoVersion;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }>;
}

export interface ConstraintMatch {
  kinds?: Array<{ apiGroups?: string[]; kinds?: string[] }>;
  namespaces?: string[];
  excludedNamespaces?: string[];
  labelSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  scope?: '*' | 'Cluster' | 'Namespaced';
  name?: string;
}

export interface Constraint {
  file: string;
  kind: string;
  name: string;
  enforcementAction: string;
  match: ConstraintMatch;
  parameters: Record<string, unknown>;
}

type YamlObject = Record<string, unknown>;

function isObject(value: unknown): value is YamlObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function at(value: unknown, ...path: string[]): unknown {
  let node = value;
  for (const key of path) node = isObject(node) ? node[key] : undefined;
  return node;
}

/** True for a ConstraintTemplate document. */
export function isConstraintTemplate(doc: unknown): boolean {
  return (
    isObject(doc) &&
    doc.kind === 'ConstraintTemplate' &&
    typeof doc.apiVersion === 'string' &&
    doc.apiVersion.startsWith('templates.gatekeeper.sh/')
  );
}

/** True for a Constraint document (any kind in the constraints.gatekeeper.sh group). */
export function isConstraint(doc: unknown): boolean {
  return (
    isObject(doc) &&
    typeof doc.apiVersion === 'string' &&
    doc.apiVersion.startsWith('constraints.gatekeeper.sh/')
  );
}

/** Read a ConstraintTemplate; returns a problem description instead when it cannot be used. */
export function parseTemplate(doc: YamlObject, file: string): ConstraintTemplate | string {
  const name = at(doc, 'metadata', 'name');
  const kind = at(doc, 'spec', 'crd', 'spec', 'names', 'kind');
  if (typeof name !== 'string' || typeof kind !== 'string')
    return 'ConstraintTemplate needs metadata.name and spec.crd.spec.names.kind';
  const targets = at(doc, 'spec', 'targets');
  const target = Array.isArray(targets)
    ? targets.find((entry) => at(entry, 'target') === gatekeeperTarget)
    : undefined;
  if (!isObject(target)) return `ConstraintTemplate ${name} has no target ${gatekeeperTarget}`;
  let rego = target.rego;
  let libs = target.libs;
  let version: RegoVersion = 'v0';
  // Gatekeeper 3.15+ `code` blocks: engine Rego with source.rego/libs/version (v1 syntax opt-in).
  const code = Array.isArray(target.code)
    ? target.code.find((entry) => at(entry, 'engine') === 'Rego')
    : undefined;
  if (isObject(code)) {
    rego = at(code, 'source', 'rego') ?? rego;
    libs = at(code, 'source', 'libs') ?? libs;
    const declared = at(code, 'source', 'version');
    if (declared === 'v1') version = 'v1';
  }
  if (typeof rego !== 'string' || rego.trim() === '') return `ConstraintTemplate ${name} has no Rego source`;
  const packageName = regoPackage(rego);
  if (!packageName) return `ConstraintTemplate ${name}: the Rego source declares no package`;
  const sources: RegoSourceFile[] = [
    { path: `${name}/template.rego`, displayPath: `${file} (rego)`, text: rego },
  ];
  if (libs !== undefined && !Array.isArray(libs))
    return `ConstraintTemplate ${name}: libs must be a list of Rego sources`;
  for (const [index, lib] of (libs ?? []).entries()) {
    if (typeof lib !== 'string') return `ConstraintTemplate ${name}: libs[${index}] is not a string`;
    const libPackage = regoPackage(lib);
    // Gatekeeper only lets libraries live under data.lib, so templates cannot shadow each other.
    if (!libPackage || !(libPackage === 'lib' || libPackage.startsWith('lib.'))) {
      return `ConstraintTemplate ${name}: libs[${index}] must declare a package under lib (found ${libPackage ?? 'none'})`;
    }
    sources.push({
      path: `${name}/lib/lib${index}.rego`,
      displayPath: `${file} (libs[${index}])`,
      text: lib,
    });
  }
  const description = at(doc, 'metadata', 'annotations', 'description');
  const schema = at(doc, 'spec', 'crd', 'spec', 'validation', 'openAPIV3Schema');
  return {
    file,
    name,
    kind,
    description: typeof description === 'string' ? description : undefined,
    parametersSchema: isObject(schema) ? schema : undefined,
    sources,
    packageName,
    version,
  };
}

/** Read a Constraint; returns a problem description instead when it cannot be used. */
export function parseConstraint(doc: YamlObject, file: string): Constraint | string {
  const name = at(doc, 'metadata', 'name');
  if (typeof name !== 'string' || typeof doc.kind !== 'string')
    return 'constraint needs kind and metadata.name';
  const action = at(doc, 'spec', 'enforcementAction') ?? 'deny';
  if (typeof action !== 'string')
    return `constraint ${doc.kind}/${name}: spec.enforcementAction must be a string`;
  const match = at(doc, 'spec', 'match') ?? {};
  if (!isObject(match)) return `constraint ${doc.kind}/${name}: spec.match must be an object`;
  const parameters = at(doc, 'spec', 'parameters') ?? {};
  if (!isObject(parameters)) return `constraint ${doc.kind}/${name}: spec.parameters must be an object`;
  return {
    file,
    kind: doc.kind,
    name,
    enforcementAction: action,
    match: match as ConstraintMatch,
    parameters,
  };
}

/** Gatekeeper's enforcement actions as parapet modes: deny enforces, warn warns, dryrun only audits. */
export function modeForAction(action: string): Mode | undefined {
  switch (action) {
    case 'deny':
    case 'scoped':
      return 'enforce';
    case 'warn':
      return 'warn';
    case 'dryrun':
      return 'audit';
    default:
      return undefined;
  }
}

function groupOf(apiVersion: unknown): { group: string; version: string } {
  if (typeof apiVersion !== 'string') return { group: '', version: '' };
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Gatekeeper's name matching: exact, or a prefix/suffix wildcard (`kube-*`, `*-system`). */
function wildcardMatch(pattern: string, value: string): boolean {
  return pattern === value || minimatch(value, pattern, { dot: true });
}

/** Whether a label selector selects these labels; no selector at all selects everything (Gatekeeper). */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  return !selector || selectorMatches(selector, labels);
}

/** The answer of matching: applies, does not, or depends on namespace labels parapet does not have. */
export type MatchVerdict = { applies: true } | { applies: false } | { applies: 'unknown'; reason: string };

/**
 * Gatekeeper's match semantics for one object. `namespaceLabels` looks up a namespace's labels
 * among the inputs (undefined when the Namespace object is not there).
 */
export function matchConstraint(
  match: ConstraintMatch,
  resource: Resource,
  namespaceLabels: (name: string) => Record<string, string> | undefined,
): MatchVerdict {
  const body = resource.body;
  const { group } = groupOf(body.apiVersion);
  if (match.kinds && match.kinds.length > 0) {
    const kindMatches = match.kinds.some(
      (entry) =>
        (entry.apiGroups ?? ['*']).some((g) => g === '*' || g === group) &&
        (entry.kinds ?? ['*']).some((k) => k === '*' || k === resource.kind),
    );
    if (!kindMatches) return { applies: false };
  }
  const isNamespace = resource.kind === 'Namespace' && group === '';
  // Namespace objects match the namespace criteria by their own name, as in Gatekeeper.
  const namespace = isNamespace ? resource.name : resource.namespace;
  const clusterScoped = !isNamespace && !resource.namespace;
  if (match.scope === 'Cluster' && !clusterScoped && !isNamespace) return { applies: false };
  if (match.scope === 'Namespaced' && (clusterScoped || isNamespace)) return { applies: false };
  if (match.name && !wildcardMatch(match.name, resource.name)) return { applies: false };
  if (namespace !== undefined) {
    if (
      match.namespaces &&
      match.namespaces.length > 0 &&
      !match.namespaces.some((pattern) => wildcardMatch(pattern, namespace))
    ) {
      return { applies: false };
    }
    if (match.excludedNamespaces?.some((pattern) => wildcardMatch(pattern, namespace)))
      return { applies: false };
  } else if (match.namespaces && match.namespaces.length > 0) {
    return { applies: false };
  }
  if (!selects(match.labelSelector, resource.labels)) return { applies: false };
  if (match.namespaceSelector) {
    if (clusterScoped) return { applies: false };
    const labels = isNamespace ? resource.labels : namespaceLabels(namespace ?? '');
    if (!labels) {
      return {
        applies: 'unknown',
        reason: `the namespaceSelector needs the labels of namespace ${namespace ?? '(none)'}, which is not among the inputs`,
      };
    }
    if (!selects(match.namespaceSelector, labels)) return { applies: false };
  }
  return { applies: true };
}

/** The admission request fields an input can carry (set by the server's adapter for real admissions). */
export interface AdmissionRequestLike {
  uid?: string;
  operation?: string;
  userInfo?: Record<string, unknown>;
  oldObject?: unknown;
  dryRun?: boolean;
  subResource?: string;
  resource?: Record<string, unknown>;
}

/** `input.review` as Gatekeeper builds it; without a live request the object is reviewed as a CREATE. */
export function gatekeeperReview(
  resource: Resource,
  request?: AdmissionRequestLike,
): Record<string, unknown> {
  const { group, version } = groupOf(resource.body.apiVersion);
  const review: Record<string, unknown> = {
    uid: request?.uid ?? '',
    kind: { group, version, kind: resource.kind },
    name: resource.name,
    operation: request?.operation ?? 'CREATE',
    userInfo: request?.userInfo ?? { username: 'parapet', groups: ['system:authenticated'] },
    object: resource.body,
    oldObject: request?.oldObject ?? null,
    dryRun: request?.dryRun ?? false,
  };
  if (resource.namespace) review.namespace = resource.namespace;
  if (request?.resource) review.resource = request.resource;
  if (request?.subResource) review.subResource = request.subResource;
  return review;
}

/** One Gatekeeper violation as a template returns it. */
export interface GatekeeperViolation {
  message: string;
  details?: Record<string, unknown>;
}

/** Read `violation[{"msg": ..., "details": ...}]` results; anything else is reported as malformed. */
export function gatekeeperViolations(value: unknown): {
  violations: GatekeeperViolation[];
  malformed: number;
} {
  const out = { violations: [] as GatekeeperViolation[], malformed: 0 };
  for (const item of Array.isArray(value) ? value : []) {
    if (isObject(item) && typeof item.msg === 'string') {
      out.violations.push({
        message: item.msg,
        details: isObject(item.details) && Object.keys(item.details).length > 0 ? item.details : undefined,
      });
    } else {
      out.malformed += 1;
    }
  }
  return out;
}
