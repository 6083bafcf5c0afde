import type { Policy } from '../model/policy.js';
import type { Resource } from '../model/resource.js';
import { globMatcher } from './keywords/glob.js';

/** "Matches one of these globs" (minimatch semantics), or undefined when there are none. */
function compileGlobs(patterns: string[] | undefined): ((value: string) => boolean) | undefined {
  return patterns?.length ? globMatcher(patterns) : undefined;
}

/** The part of `match` that depends only on source and kind (cached per kind by the engine). */
export interface KindMatcher {
  (source: string, kind: string): boolean;
}

/** The part of `match` that depends on the resource itself. Undefined when there is nothing to check. */
export type ResourceMatcher = ((resource: Resource) => boolean) | undefined;

export function compileMatch(policy: Policy): { kind: KindMatcher; resource: ResourceMatcher } {
  const match = policy.match;
  const sources =
    match.source === undefined
      ? undefined
      : new Set(Array.isArray(match.source) ? match.source : [match.source]);
  const kinds = compileGlobs(match.kinds);
  const excludeKinds = compileGlobs(match.excludeKinds);
  const matchesKindName = (kindName: string): boolean =>
    (!kinds || kinds(kindName)) && (!excludeKinds || !excludeKinds(kindName));
  // Set rules test every resource of a run; kinds are few, so each answer is kept.
  const kindAnswers = new Map<string, boolean>();
  const kind: KindMatcher = (source, kindName) => {
    if (sources && !sources.has(source as never)) return false;
    let answer = kindAnswers.get(kindName);
    if (answer === undefined) {
      answer = matchesKindName(kindName);
      if (kindAnswers.size >= 4096) kindAnswers.clear();
      kindAnswers.set(kindName, answer);
    }
    return answer;
  };

  const namespaces = compileGlobs(match.namespaces);
  const excludeNamespaces = compileGlobs(match.excludeNamespaces);
  const labels = match.labels && Object.keys(match.labels).length ? Object.entries(match.labels) : undefined;
  const actions = match.actions?.length ? new Set(match.actions) : undefined;
  if (!namespaces && !excludeNamespaces && !labels && !actions) return { kind, resource: undefined };

  const resource = (r: Resource): boolean => {
    const namespace = r.namespace ?? '';
    if (namespaces && !namespaces(namespace)) return false;
    if (excludeNamespaces && excludeNamespaces(namespace)) return false;
    if (labels) {
      for (const [key, value] of labels) {
        const actual = r.labels[key];
        if (actual === undefined || (value !== '*' && actual !== value)) return false;
      }
    }
    if (actions) {
      const change = r.facts.change as { actions?: string[]; replace?: boolean } | undefined;
      const planned = change?.actions ?? [];
      const replace = change?.replace ?? (planned.includes('delete') && planned.includes('create'));
      if (!planned.some((action) => actions.has(action)) && !(replace && actions.has('replace')))
        return false;
    }
    return true;
  };
  return { kind, resource };
}
