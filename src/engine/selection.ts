import { minimatch } from 'minimatch';
import { equivalentSchemes, type EquivalentScheme, type Policy } from '../model/policy.js';

const schemes = new Set<string>(equivalentSchemes);

/**
 * A selector is a glob over policy ids, `tag:GLOB` over tags, or `SCHEME:GLOB` over the ids a
 * policy names as its equivalents in that scheme (`checkov:CKV_K8S_*`, `polaris:hostPIDSet`).
 */
function selectorMatches(selector: string, policy: Policy): boolean {
  const colon = selector.indexOf(':');
  if (colon > 0) {
    const scheme = selector.slice(0, colon);
    const pattern = selector.slice(colon + 1);
    if (scheme === 'tag') return policy.tags.some((tag) => minimatch(tag, pattern));
    if (schemes.has(scheme))
      return (policy.equivalents?.[scheme as EquivalentScheme] ?? []).some((id) => minimatch(id, pattern));
  }
  return minimatch(policy.id, selector);
}

/** The policies that `--select` (any, when given) and `--skip` (none) leave in. */
export function selectPolicies(policies: Policy[], select: string[], skip: string[]): Policy[] {
  return policies.filter(
    (policy) =>
      (select.length === 0 || select.some((selector) => selectorMatches(selector, policy))) &&
      !skip.some((selector) => selectorMatches(selector, policy)),
  );
}

/** The last entry whose policy glob matches wins. */
export function lastMatching<T extends { policy: string }>(entries: T[], policyId: string): T | undefined {
  for (let i = entries.length - 1; i >= 0; i -= 1) {
    const entry = entries[i];
    if (entry && minimatch(policyId, entry.policy)) return entry;
  }
  return undefined;
}
