/**
 * matchConstraints and a binding's matchResources, as the API server's matcher reads them:
 * resource rules (group, version, resource plural with wildcards and subresources, operation, scope,
 * resourceNames), exclusions, namespace and object selectors, and matchPolicy Equivalent.
 */
import { selectorMatches } from '../engine/label-selector.js';
import type { ResourceIndex, ResourceInfo } from './resources.js';
import type { MatchResources, NamedRuleWithOperations } from './types.js';

export interface RequestAttributes {
  info: ResourceInfo;
  subresource: string;
  operation: string;
  name: string;
  namespace: string;
  objectLabels: Record<string, string>;
  oldObjectLabels?: Record<string, string>;
}

/** `undefined`: the namespace's labels are needed and not known. */
export type NamespaceLabels = Record<string, string> | undefined;

function listMatches(list: string[] | undefined, value: string): boolean {
  return !list || list.length === 0 ? false : list.includes('*') || list.includes(value);
}

function resourceMatches(resources: string[] | undefined, resource: string, subresource: string): boolean {
  for (const entry of resources ?? []) {
    if (entry === '*/*') return true;
    const [res, sub] = entry.split('/') as [string, string | undefined];
    if (sub === undefined) {
      if (subresource === '' && (res === '*' || res === resource)) return true;
    } else if ((res === '*' || res === resource) && (sub === '*' || sub === subresource)) return true;
  }
  return false;
}

function ruleMatches(rule: NamedRuleWithOperations, attrs: RequestAttributes, info: ResourceInfo): boolean {
  if (!listMatches(rule.operations, attrs.operation)) return false;
  if (!listMatches(rule.apiGroups, info.group)) return false;
  if (!listMatches(rule.apiVersions, info.version)) return false;
  if (!resourceMatches(rule.resources, info.resource, attrs.subresource)) return false;
  const scope = rule.scope ?? '*';
  if (scope === 'Cluster' && info.namespaced) return false;
  if (scope === 'Namespaced' && !info.namespaced) return false;
  if (rule.resourceNames?.length && !rule.resourceNames.includes(attrs.name)) return false;
  return true;
}

export type MatchOutcome =
  { matches: true; resource: ResourceInfo } | { matches: false; needsNamespace?: boolean };

/**
 * Whether `match` selects the request; `resource` is the version it matched under (the request's,
 * or an equivalent one). A namespaceSelector over a namespace whose labels are unknown answers
 * `needsNamespace`, so the caller reports unknown instead of guessing.
 */
export function matchResources(
  match: MatchResources | undefined,
  attrs: RequestAttributes,
  index: ResourceIndex,
  namespaceLabels: NamespaceLabels,
): MatchOutcome {
  if (!match) return { matches: true, resource: attrs.info };
  const objectSelector = match.objectSelector;
  if (objectSelector && Object.keys(objectSelector).length > 0) {
    const labelsMatch =
      selectorMatches(objectSelector, attrs.objectLabels) ||
      (attrs.oldObjectLabels !== undefined && selectorMatches(objectSelector, attrs.oldObjectLabels));
    if (!labelsMatch) return { matches: false };
  }
  const excluded = (match.excludeResourceRules ?? []).some((rule) => ruleMatches(rule, attrs, attrs.info));
  if (excluded) return { matches: false };
  let matched: ResourceInfo | undefined;
  const rules = match.resourceRules ?? [];
  // A binding's matchResources without resource rules narrows by selectors only.
  if (rules.length === 0) matched = attrs.info;
  else if (rules.some((rule) => ruleMatches(rule, attrs, attrs.info))) matched = attrs.info;
  else if (match.matchPolicy !== 'Exact') {
    for (const equivalent of index.equivalents(attrs.info)) {
      if (equivalent === attrs.info) continue;
      if (rules.some((rule) => ruleMatches(rule, attrs, equivalent))) {
        matched = equivalent;
        break;
      }
    }
  }
  if (!matched) return { matches: false };
  const namespaceSelector = match.namespaceSelector;
  if (namespaceSelector && Object.keys(namespaceSelector).length > 0) {
    // Cluster-scoped objects other than namespaces are not subject to the namespace selector.
    const isNamespace = attrs.info.group === '' && attrs.info.resource === 'namespaces';
    if (isNamespace) {
      if (!selectorMatches(namespaceSelector, attrs.objectLabels)) return { matches: false };
    } else if (attrs.info.namespaced) {
      if (namespaceLabels === undefined) return { matches: false, needsNamespace: true };
      if (!selectorMatches(namespaceSelector, namespaceLabels)) return { matches: false };
    }
  }
  return { matches: true, resource: matched };
}
