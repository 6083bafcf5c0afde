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
  kinds?: Array<{ apiGroups?: string[] | null; kinds?: string[] | null }> | null;
  namespaces?: string[] | null;
  excludedNamespaces?: string[] | null;
  labelSelector?: LabelSelector | null;
  namespaceSelector?: LabelSelector | null;
  scope?: '*' | 'Cluster' | 'Namespaced' | null;
  name?: string | null;
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

/** Gatekeeper's `util.Wildcard` pattern: a name with an optional `*` at either end. */
const wildcardPattern = /^\*?[-:a-z0-9]*\*?$/;
const operators = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

function stringList(value: unknown, field: string, pattern?: RegExp): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) return `${field} must be a list`;
  for (const [index, item] of value.entries()) {
    if (item === null) continue;
    if (typeof item !== 'string') return `${field}[${index}] must be a string`;
    if (pattern && !pattern.test(item))
      return `${field}[${index}] "${item}" is not a name with an optional * at its start or end`;
  }
  return undefined;
}

/** What `metav1.LabelSelectorAsSelector` refuses, as Gatekeeper reports it when matching. */
function selectorProblem(selector: unknown, field: string): string | undefined {
  if (selector === undefined || selector === null) return undefined;
  if (!isObject(selector)) return `${field} must be an object`;
  const { matchLabels, matchExpressions } = selector;
  if (matchLabels !== undefined && matchLabels !== null) {
    if (!isObject(matchLabels)) return `${field}.matchLabels must be a map of strings`;
    for (const [key, value] of Object.entries(matchLabels))
      if (typeof value !== 'string') return `${field}.matchLabels.${key} must be a string`;
  }
  if (matchExpressions === undefined || matchExpressions === null) return undefined;
  if (!Array.isArray(matchExpressions)) return `${field}.matchExpressions must be a list`;
  for (const [index, expression] of matchExpressions.entries()) {
    const place = `${field}.matchExpressions[${index}]`;
    if (!isObject(expression) || typeof expression.key !== 'string') return `${place} needs a key`;
    if (typeof expression.operator !== 'string' || !operators.has(expression.operator))
      return `${place}.operator must be In, NotIn, Exists or DoesNotExist`;
    const values = expression.values ?? [];
    if (!Array.isArray(values) || values.some((value) => typeof value !== 'string'))
      return `${place}.values must be a list of strings`;
    if ((expression.operator === 'In' || expression.operator === 'NotIn') && values.length === 0)
      return `${place}: values must not be empty for ${expression.operator}`;
    if ((expression.operator === 'Exists' || expression.operator === 'DoesNotExist') && values.length > 0)
      return `${place}: values must be empty for ${expression.operator}`;
  }
  return undefined;
}

/** The problem with a Constraint's `spec.match` that Gatekeeper's schema or matcher refuses, if any. */
function validateMatch(match: YamlObject): string | undefined {
  if (match.kinds !== undefined && match.kinds !== null) {
    if (!Array.isArray(match.kinds)) return 'kinds must be a list';
    for (const [index, entry] of match.kinds.entries()) {
      if (!isObject(entry)) return `kinds[${index}] must be an object with apiGroups and kinds`;
      const problem =
        stringList(entry.apiGroups, `kinds[${index}].apiGroups`) ??
        stringList(entry.kinds, `kinds[${index}].kinds`);
      if (problem) return problem;
    }
  }
  const problem =
    stringList(match.namespaces, 'namespaces', wildcardPattern) ??
    stringList(match.excludedNamespaces, 'excludedNamespaces', wildcardPattern) ??
    selectorProblem(match.labelSelector, 'labelSelector') ??
    selectorProblem(match.namespaceSelector, 'namespaceSelector');
  if (problem) return problem;
  if (
    match.scope !== undefined &&
    match.scope !== null &&
    !['*', 'Cluster', 'Namespaced'].includes(match.scope as string)
  )
    return `scope must be *, Cluster or Namespaced (found ${JSON.stringify(match.scope)})`;
  if (match.name !== undefined && match.name !== null) {
    if (typeof match.name !== 'string') return 'name must be a string';
    if (!wildcardPattern.test(match.name))
      return `name "${match.name}" is not a name with an optional * at its start or end`;
  }
  return undefined;
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
  const matchProblem = validateMatch(match);
  if (matchProblem) return `constraint ${doc.kind}/${name}: spec.match.${matchProblem}`;
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

/**
 * Gatekeeper's `util.Wildcard`: exact, or a glob by a `*` at the start (suffix match), at the end
 * (prefix match) or at both (substring). A `*` anywhere else is a literal character.
 */
export function wildcardMatches(pattern: string, value: string): boolean {
  const leading = pattern.startsWith('*');
  const trailing = pattern.length > 0 && pattern.endsWith('*');
  if (leading && trailing) return value.includes(pattern.slice(1, -1));
  if (leading) return value.endsWith(pattern.slice(1));
  if (trailing) return value.startsWith(pattern.slice(0, -1));
  return pattern === value;
}

/** Gatekeeper's `MatchesGenerateName`: a prefix (or substring) pattern also matches an object named by `generateName`. */
function generateNameMatches(pattern: string, generateName: string): boolean {
  if (pattern.startsWith('*') && pattern.endsWith('*')) return generateName.includes(pattern.slice(1, -1));
  if (pattern.endsWith('*')) return generateName.startsWith(pattern.slice(0, -1));
  return false;
}

/** Whether a label selector selects these labels; no selector at all selects everything (Gatekeeper). */
export function selects(selector: LabelSelector | undefined | null, labels: Record<string, string>): boolean {
  return !selector || selectorMatches(selector, labels);
}

/** The answer of matching: applies, does not, or depends on namespace labels parapet does not have. */
export type MatchVerdict = { applies: true } | { applies: false } | { applies: 'unknown'; reason: string };

const applies: MatchVerdict = { applies: true };
const doesNot: MatchVerdict = { applies: false };

/** A list criterion is set when it has entries; Gatekeeper treats an empty list as absent. */
const listed = (list: readonly string[] | undefined | null): list is readonly string[] =>
  Array.isArray(list) && list.length > 0;

/**
 * Gatekeeper's match of one object (`pkg/mutation/match`, as audit, admission and gator run it):
 * every criterion must hold, checked in Gatekeeper's order. An object without `metadata.namespace`
 * is cluster-scoped to Gatekeeper: `namespaces`, `excludedNamespaces` and `namespaceSelector` cannot
 * disqualify it, and `scope: Namespaced` does not match it. A Namespace is judged by its own name
 * and labels. `namespaceLabels` looks up a namespace's labels among the inputs (undefined when the
 * Namespace object is not there: Gatekeeper then has nothing to match against, parapet says unknown).
 */
export function matchConstraint(
  match: ConstraintMatch,
  resource: Resource,
  namespaceLabels: (name: string) => Record<string, string> | undefined,
): MatchVerdict {
  const body = resource.body;
  const { group } = groupOf(body.apiVersion);
  if (match.kinds && match.kinds.length > 0) {
    const kindMatches = match.kinds.some((entry) => {
      const kinds = entry.kinds;
      const groups = entry.apiGroups;
      return (
        (!listed(kinds) || kinds.includes('*') || kinds.includes(resource.kind)) &&
        (!listed(groups) || groups.includes('*') || groups.includes(group))
      );
    });
    if (!kindMatches) return doesNot;
  }
  const isNamespace = resource.kind === 'Namespace' && group === '';
  const namespace = resource.namespace;
  const hasNamespace = namespace !== undefined;
  if (match.scope === 'Cluster' && !(isNamespace || !hasNamespace)) return doesNot;
  if (match.scope === 'Namespaced' && !(!isNamespace && hasNamespace)) return doesNot;
  // The namespace the namespace criteria judge: a Namespace's own name, else the object's.
  const judged = isNamespace ? resource.name : namespace;
  if (listed(match.namespaces) && judged !== undefined) {
    if (!match.namespaces.some((pattern) => wildcardMatches(pattern, judged))) return doesNot;
  }
  if (listed(match.excludedNamespaces) && judged !== undefined) {
    if (match.excludedNamespaces.some((pattern) => wildcardMatches(pattern, judged))) return doesNot;
  }
  if (!selects(match.labelSelector, resource.labels)) return doesNot;
  if (match.namespaceSelector) {
    if (isNamespace) {
      if (!selects(match.namespaceSelector, resource.labels)) return doesNot;
    } else if (namespace !== undefined) {
      const labels = namespaceLabels(namespace);
      if (!labels) {
        return {
          applies: 'unknown',
          reason: `the namespaceSelector needs the labels of namespace ${namespace}, which is not among the inputs`,
        };
      }
      if (!selects(match.namespaceSelector, labels)) return doesNot;
    }
  }
  if (match.name) {
    const generateName = at(body, 'metadata', 'generateName');
    if (
      !wildcardMatches(match.name, resource.name) &&
      !(typeof generateName === 'string' && generateNameMatches(match.name, generateName))
    )
      return doesNot;
  }
  return applies;
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
