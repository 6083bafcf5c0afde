/**
 * What one admission object may be before parapet evaluates it: nesting depth, items per list and
 * containers per pod spec. Policies walk lists (containers, volumes, ports, env) once per policy,
 * so an object past these limits is denied unevaluated, with the limit named, instead of costing
 * the webhook its time budget or its memory. The walk is iterative: depth cannot overflow a stack.
 */
import type { ServerSettings } from './settings.js';

export type ObjectLimits = Pick<ServerSettings, 'maxContainers' | 'maxListItems' | 'maxDepth'>;

/** The lists of a pod spec that hold containers. */
const containerLists = ['containers', 'initContainers', 'ephemeralContainers'] as const;

function pointerToken(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

interface Pending {
  value: unknown;
  depth: number;
  parent: Pending | undefined;
  key: string | number;
}

/** The JSON pointer of `entry`, built only for the one a message names. */
function pointerOf(entry: Pending | undefined): string {
  const tokens: string[] = [];
  for (let at = entry; at?.parent; at = at.parent) tokens.push(pointerToken(at.key));
  return tokens.length ? `/${tokens.reverse().join('/')}` : '/';
}

/**
 * The first limit `object` breaks, as a one-line reason naming the place and the setting, or
 * undefined when it is within all of them. A pod spec is any object with a `containers` list.
 */
export function objectLimitViolation(object: unknown, limits: ObjectLimits): string | undefined {
  const stack: Pending[] = [{ value: object, depth: 1, parent: undefined, key: '' }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    const { value, depth } = entry;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > limits.maxDepth)
      return `the object nests deeper than ${limits.maxDepth} levels at ${pointerOf(entry)} (server.maxDepth)`;
    if (Array.isArray(value)) {
      if (value.length > limits.maxListItems)
        return `${pointerOf(entry)} has ${value.length} items, above the limit of ${limits.maxListItems} (server.maxListItems)`;
      for (let i = value.length - 1; i >= 0; i -= 1) {
        const item: unknown = value[i];
        if (typeof item === 'object' && item !== null)
          stack.push({ value: item, depth: depth + 1, parent: entry, key: i });
      }
      continue;
    }
    const record = value as Record<string, unknown>;
    if (Array.isArray(record.containers)) {
      let count = 0;
      for (const list of containerLists) {
        const items = record[list];
        if (Array.isArray(items)) count += items.length;
      }
      if (count > limits.maxContainers)
        return `the pod spec at ${pointerOf(entry)} has ${count} containers, above the limit of ${limits.maxContainers} (server.maxContainers)`;
    }
    for (const key in record) {
      const child = record[key];
      if (typeof child === 'object' && child !== null)
        stack.push({ value: child, depth: depth + 1, parent: entry, key });
    }
  }
  return undefined;
}
