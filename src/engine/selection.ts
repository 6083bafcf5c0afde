import { minimatch } from 'minimatch';
import type { Policy } from '../model/policy.js';

/** A selector is a glob over policy ids, or `tag:GLOB` over tags. */
function selectorMatches(selector: string, policy: Policy): boolean {
  if (selector.startsWith('tag:')) {
    const pattern = selector.slice(4);
    return policy.tags.some((tag) => minimatch(tag, pattern));
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
