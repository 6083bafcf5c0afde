/**
 * `match` and `exclude` as Kyverno applies them: `any` (one filter), `all` (every filter), or the
 * older single `resources` block; within a filter every field given must hold. Kinds may name the
 * group, version and subresource; names, namespaces, annotations and selector values take wildcards.
 */
import type {
  LabelSelector,
  MatchBlock,
  ResourceDescription,
  ResourceFilter,
  UserInfoFilter,
} from './types.js';
import { wildcardMatch } from './wildcard.js';

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a rule is matched against besides the object: the request and the cluster around it. */
export interface MatchSubject {
  object: Obj;
  operation: string;
  subresource?: string;
  userInfo?: { username?: string; groups?: string[] };
  roles?: string[];
  clusterRoles?: string[];
  /** Labels of a namespace, when known. */
  namespaceLabels(name: string): Record<string, string> | undefined;
  /** Namespace of a namespaced Policy (it only sees its own namespace). */
  policyNamespace?: string;
}

function metadata(object: Obj): Obj {
  return isObject(object.metadata) ? object.metadata : {};
}

function stringMap(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) if (typeof item === 'string') out[key] = item;
  return out;
}

function groupVersion(object: Obj): { group: string; version: string } {
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const slash = apiVersion.indexOf('/');
  return slash >= 0
    ? { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) }
    : { group: '', version: apiVersion };
}

/** `Pod`, `v1/Pod`, `apps/v1/Deployment`, `Pod/exec`, `*`; a lowercase last part is a subresource. */
interface KindSpec {
  group: string;
  version: string;
  kind: string;
  sub: string | undefined;
}

const kindSpecs = new Map<string, KindSpec>();

function kindSpec(spec: string): KindSpec {
  let parsed = kindSpecs.get(spec);
  if (!parsed) {
    parsed = parseKindSpec(spec);
    if (kindSpecs.size > 10_000) kindSpecs.clear();
    kindSpecs.set(spec, parsed);
  }
  return parsed;
}

export function matchesKind(spec: string, object: Obj, subresource: string | undefined): boolean {
  const { group, version, kind, sub } = kindSpec(spec);
  const actual = typeof object.kind === 'string' ? object.kind : '';
  if (!wildcardMatch(kind, actual)) return false;
  if (version !== '*' || group !== '*') {
    const gv = groupVersion(object);
    if (version !== '*' && !wildcardMatch(version, gv.version)) return false;
    if (group !== '*' && !wildcardMatch(group, gv.group)) return false;
  }
  if (sub !== undefined) return subresource !== undefined && wildcardMatch(sub, subresource);
  return subresource === undefined || subresource === '' || kind === '*';
}

function parseKindSpec(spec: string): KindSpec {
  const parts = spec.split('/');
  let sub: string | undefined;
  if (
    parts.length > 1 &&
    /^[a-z*]/.test(parts[parts.length - 1]!) &&
    /^[A-Z*]/.test(parts[parts.length - 2] ?? '')
  )
    sub = parts.pop();
  const kind = parts.pop()!;
  const version = parts.length > 0 ? parts.pop()! : '*';
  const group =
    parts.length > 0
      ? parts.join('/')
      : version !== '*' && spec.split('/').length - (sub ? 1 : 0) === 2
        ? ''
        : '*';
  return { group, version, kind, sub };
}

/** A label selector; matchLabels values may hold wildcards, as Kyverno allows. */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    const keys =
      key.includes('*') || key.includes('?')
        ? Object.keys(labels).filter((k) => wildcardMatch(key, k))
        : [key];
    if (!keys.some((k) => labels[k] !== undefined && wildcardMatch(String(value), labels[k]!))) return false;
  }
  for (const expression of selector.matchExpressions ?? []) {
    const present = Object.prototype.hasOwnProperty.call(labels, expression.key);
    const value = labels[expression.key];
    const values = expression.values ?? [];
    switch (expression.operator) {
      case 'In':
        if (!present || !values.includes(value!)) return false;
        break;
      case 'NotIn':
        if (present && values.includes(value!)) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function describe(description: ResourceDescription, subject: MatchSubject): boolean {
  const object = subject.object;
  const meta = metadata(object);
  const kind = typeof object.kind === 'string' ? object.kind : '';
  const name =
    typeof meta.name === 'string'
      ? meta.name
      : typeof meta.generateName === 'string'
        ? meta.generateName
        : '';
  const namespace = kind === 'Namespace' ? name : typeof meta.namespace === 'string' ? meta.namespace : '';
  if (
    description.kinds?.length &&
    !description.kinds.some((spec) => matchesKind(spec, object, subject.subresource))
  )
    return false;
  if (description.name && !wildcardMatch(description.name, name)) return false;
  if (description.names?.length && !description.names.some((pattern) => wildcardMatch(pattern, name)))
    return false;
  if (
    description.namespaces?.length &&
    !description.namespaces.some((pattern) => wildcardMatch(pattern, namespace))
  )
    return false;
  if (description.annotations) {
    const annotations = stringMap(meta.annotations);
    for (const [key, value] of Object.entries(description.annotations)) {
      const keys = Object.keys(annotations).filter((k) => wildcardMatch(key, k));
      if (!keys.some((k) => wildcardMatch(String(value), annotations[k]!))) return false;
    }
  }
  if (description.selector && !selectorMatches(description.selector, stringMap(meta.labels))) return false;
  if (description.namespaceSelector) {
    if (!namespace) return false;
    const labels = kind === 'Namespace' ? stringMap(meta.labels) : subject.namespaceLabels(namespace);
    if (!labels || !selectorMatches(description.namespaceSelector, labels)) return false;
  }
  if (description.operations?.length && !description.operations.includes(subject.operation)) return false;
  return true;
}

function userMatches(filter: UserInfoFilter, subject: MatchSubject): boolean {
  if (filter.roles?.length && !filter.roles.some((role) => (subject.roles ?? []).includes(role)))
    return false;
  if (
    filter.clusterRoles?.length &&
    !filter.clusterRoles.some((role) => (subject.clusterRoles ?? []).includes(role))
  )
    return false;
  if (filter.subjects?.length) {
    const username = subject.userInfo?.username ?? '';
    const groups = subject.userInfo?.groups ?? [];
    const found = filter.subjects.some((s) => {
      if (s.kind === 'User') return wildcardMatch(s.name, username);
      if (s.kind === 'Group') return groups.some((group) => wildcardMatch(s.name, group));
      if (s.kind === 'ServiceAccount')
        return username === `system:serviceaccount:${s.namespace ?? ''}:${s.name}`;
      return false;
    });
    if (!found) return false;
  }
  return true;
}

function hasUserInfo(filter: UserInfoFilter): boolean {
  return Boolean(filter.roles?.length || filter.clusterRoles?.length || filter.subjects?.length);
}

function filterMatches(filter: ResourceFilter, subject: MatchSubject): boolean {
  if (filter.resources && !describe(filter.resources, subject)) return false;
  return userMatches(filter, subject);
}

function isEmptyDescription(description: ResourceDescription | undefined): boolean {
  return (
    !description ||
    Object.values(description).every(
      (value) => value === undefined || (Array.isArray(value) && value.length === 0),
    )
  );
}

/** Whether the rule's `match` selects the subject. */
export function ruleMatches(match: MatchBlock | undefined, subject: MatchSubject): boolean {
  if (subject.policyNamespace !== undefined) {
    const meta = metadata(subject.object);
    if (meta.namespace !== subject.policyNamespace) return false;
  }
  if (!match) return false;
  if (match.any?.length) return match.any.some((filter) => filterMatches(filter, subject));
  if (match.all?.length) return match.all.every((filter) => filterMatches(filter, subject));
  if (isEmptyDescription(match.resources) && !hasUserInfo(match)) return false;
  return filterMatches(
    {
      resources: match.resources,
      roles: match.roles,
      clusterRoles: match.clusterRoles,
      subjects: match.subjects,
    },
    subject,
  );
}

/** Whether the rule's `exclude` removes the subject. */
export function ruleExcludes(exclude: MatchBlock | undefined, subject: MatchSubject): boolean {
  if (!exclude) return false;
  if (exclude.any?.length) return exclude.any.some((filter) => filterMatches(filter, subject));
  if (exclude.all?.length) return exclude.all.every((filter) => filterMatches(filter, subject));
  if (isEmptyDescription(exclude.resources) && !hasUserInfo(exclude)) return false;
  return filterMatches(
    {
      resources: exclude.resources,
      roles: exclude.roles,
      clusterRoles: exclude.clusterRoles,
      subjects: exclude.subjects,
    },
    subject,
  );
}

/** Every kind name a match block can select (for the engine's kind index), or undefined for any kind. */
export function kindsOf(match: MatchBlock | undefined): string[] | undefined {
  if (!match) return [];
  const descriptions = [
    match.resources,
    ...(match.any ?? []).map((f) => f.resources),
    ...(match.all ?? []).map((f) => f.resources),
  ].filter((d): d is ResourceDescription => d !== undefined);
  const kinds: string[] = [];
  for (const description of descriptions) {
    if (!description.kinds?.length) return match.all?.length ? (kinds.length ? kinds : undefined) : undefined;
    for (const spec of description.kinds) {
      const parts = spec.split('/');
      if (
        parts.length > 1 &&
        /^[a-z*]/.test(parts[parts.length - 1]!) &&
        /^[A-Z*]/.test(parts[parts.length - 2] ?? '')
      )
        parts.pop();
      kinds.push(parts[parts.length - 1]!);
    }
  }
  if (kinds.some((kind) => kind.includes('*') || kind.includes('?'))) return undefined;
  return [...new Set(kinds)];
}
