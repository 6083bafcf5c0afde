import type { Policy } from '../model/policy.js';
import type { Resource } from '../model/resource.js';
import { globMatcher } from './keywords/glob.js';

/** "Matches one of these globs" (minimatch semantics), or undefined when there are none. */
function compileGlobs(patterns: string[] | undefined): ((value: string) => boolean) | undefined {
  return patterns?.length ? globMatcher(patterns) : undefined;
}

/**
 * A kind test that keeps its answers: a run has few distinct kinds, and rules that look at every
 * resource of a run would otherwise match globs once per resource.
 */
export function rememberKinds(test: (kind: string) => boolean): (kind: string) => boolean {
  const answers = new Map<string, boolean>();
  return (kind) => {
    let answer = answers.get(kind);
    if (answer === undefined) {
      answer = test(kind);
      if (answers.size >= 4096) answers.clear();
      answers.set(kind, answer);
    }
    return answer;
  };
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
  // Set rules test every resource of a run against it.
  const matchesKindName = rememberKinds(
    (kindName) => (!kinds || kinds(kindName)) && (!excludeKinds || !excludeKinds(kindName)),
  );
  const kind: KindMatcher = (source, kindName) =>
    (!sources || sources.has(source as never)) && matchesKindName(kindName);

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
      // A loop, not `some` with a closure: this runs for every resource of a plan.
      let plannedMatch = false;
      for (let i = 0; i < planned.length && !plannedMatch; i += 1) plannedMatch = actions.has(planned[i]!);
      if (!plannedMatch && !(replace && actions.has('replace'))) return false;
    }
    return true;
  };
  return { kind, resource };
}
