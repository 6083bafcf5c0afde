import { minimatch } from 'minimatch';
import { distance } from 'fastest-levenshtein';
import { ParapetError } from '../model/errors.js';
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

/**
 * The policies that `--select` (any, when given) and `--skip` (none) leave in. An optional policy
 * is left in only when a `select` or an `enable` selector names it.
 */
export function selectPolicies(
  policies: Policy[],
  select: string[],
  skip: string[],
  enable: string[] = [],
): Policy[] {
  return policies.filter(
    (policy) =>
      (select.length === 0 || select.some((selector) => selectorMatches(selector, policy))) &&
      (!policy.optional ||
        enable.some((selector) => selectorMatches(selector, policy)) ||
        select.some((selector) => selectorMatches(selector, policy))) &&
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

/** Selectors and where they were given, for messages (`--select`, `parapet.yaml: policies.skip`). */
export interface SelectorGroup {
  origin: string;
  selectors: string[];
}

/** Up to three of `candidates` closest to `wanted` by edit distance, when close enough to be a typo. */
export function closestNames(wanted: string, candidates: Iterable<string>): string[] {
  const plain = wanted.replace(/[*?[\]{}!]/g, '');
  const limit = Math.max(2, Math.floor(plain.length / 3));
  const scored: Array<[number, string]> = [];
  for (const candidate of new Set(candidates)) {
    const score = distance(plain, candidate);
    if (score <= limit) scored.push([score, candidate]);
  }
  scored.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return scored.slice(0, 3).map(([, name]) => name);
}

/**
 * Throws when a selector matches no loaded policy: a mistyped `--select` would otherwise run
 * nothing and pass, and a mistyped `--skip` would run what the user meant to skip.
 */
export function assertSelectorsMatch(policies: Policy[], groups: SelectorGroup[]): void {
  for (const { origin, selectors } of groups) {
    for (const selector of selectors) {
      if (policies.some((policy) => selectorMatches(selector, policy))) continue;
      const colon = selector.indexOf(':');
      const scheme = colon > 0 ? selector.slice(0, colon) : '';
      const named = scheme === 'tag' || schemes.has(scheme);
      const candidates = !named
        ? policies.map((policy) => policy.id)
        : scheme === 'tag'
          ? policies.flatMap((policy) => policy.tags)
          : policies.flatMap((policy) => policy.equivalents?.[scheme as EquivalentScheme] ?? []);
      const closest = closestNames(named ? selector.slice(colon + 1) : selector, candidates).map((name) =>
        named ? `${scheme}:${name}` : name,
      );
      const what = !named ? 'policy id' : scheme === 'tag' ? 'policy tag' : `${scheme} id`;
      throw new ParapetError(
        'PARAPET_USAGE',
        `${origin}: "${selector}" matches no ${what}${closest.length ? ` (did you mean ${closest.join(', ')}?)` : ''}; run "parapet policies" for the list`,
      );
    }
  }
}
