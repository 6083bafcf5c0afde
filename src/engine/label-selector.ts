/** Kubernetes label selectors (matchLabels + matchExpressions), as NetworkPolicy and friends use them. */

interface Requirement {
  key?: unknown;
  operator?: unknown;
  values?: unknown;
}

/** True when `selector` selects an object with `labels`. An empty selector selects everything. */
export function selectorMatches(selector: unknown, labels: Record<string, string>): boolean {
  if (selector === null || selector === undefined) return false;
  if (typeof selector !== 'object') return false;
  const { matchLabels, matchExpressions } = selector as { matchLabels?: unknown; matchExpressions?: unknown };
  if (matchLabels && typeof matchLabels === 'object') {
    for (const [key, value] of Object.entries(matchLabels as Record<string, unknown>)) {
      if (labels[key] !== String(value)) return false;
    }
  }
  if (Array.isArray(matchExpressions)) {
    for (const requirement of matchExpressions as Requirement[]) {
      const key = String(requirement.key ?? '');
      const values = Array.isArray(requirement.values) ? requirement.values.map(String) : [];
      const has = Object.prototype.hasOwnProperty.call(labels, key);
      switch (requirement.operator) {
        case 'In':
          if (!has || !values.includes(labels[key]!)) return false;
          break;
        case 'NotIn':
          if (has && values.includes(labels[key]!)) return false;
          break;
        case 'Exists':
          if (!has) return false;
          break;
        case 'DoesNotExist':
          if (has) return false;
          break;
        default:
          return false;
      }
    }
  }
  return true;
}
