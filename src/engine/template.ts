/** Message templates: `{{ a.b.c }}` placeholders resolved against a finding's values. */
import { abbreviate } from '../model/errors.js';
import type { Resource } from '../model/resource.js';
import { transientResourceView, viewKeys } from './view.js';

/**
 * Render a message for one violation. The roots are `resource` (kind, id, name, namespace, labels,
 * source, body, facts), `body`, `facts`, `params`, `path`, then the rule's own values; the engine's
 * roots win over a rule's values of the same name. No context object is built: a hot path (one call
 * per finding).
 */
export type MessageTemplate = (
  resource: Resource,
  params: Record<string, unknown>,
  path: string,
  values: Record<string, unknown> | undefined,
) => string;

const placeholder = /\{\{\s*([A-Za-z_$][\w$]*(?:\.[\w$-]+)*)\s*\}\}/g;

/** Longest string a message shows whole: longer ones (hostile or generated input) show their start and length. */
const STRING_MAX = 1024;

function renderValue(value: unknown): string {
  if (value === undefined || value === null) return '(unset)';
  if (typeof value === 'string') return abbreviate(value, STRING_MAX, 200);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    const json = JSON.stringify(value);
    return json.length > 200 ? json.slice(0, 197) + '...' : json;
  } catch {
    return String(value);
  }
}

function walk(current: unknown, path: string[], from: number): unknown {
  for (let i = from; i < path.length; i += 1) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[path[i]!];
  }
  return current;
}

function lookup(
  path: string[],
  resource: Resource,
  params: Record<string, unknown>,
  at: string,
  values: Record<string, unknown> | undefined,
): unknown {
  const root = path[0]!;
  switch (root) {
    case 'resource':
      // `resource.name` is the resource's own `name`: no view needed below the root.
      if (path.length === 1) return transientResourceView(resource);
      return viewKeys.has(path[1]!)
        ? walk((resource as unknown as Record<string, unknown>)[path[1]!], path, 2)
        : undefined;
    case 'body':
      return walk(resource.body, path, 1);
    case 'facts':
      return walk(resource.facts, path, 1);
    case 'params':
      return walk(params, path, 1);
    case 'path':
      return walk(at, path, 1);
    default:
      return values && Object.prototype.hasOwnProperty.call(values, root)
        ? walk(values[root], path, 1)
        : undefined;
  }
}

/** The roots the engine resolves itself; any other root is looked up in a rule's values. */
const engineRoots: ReadonlySet<string> = new Set(['resource', 'body', 'facts', 'params', 'path']);

/** Whether rendering `template` can read a rule's own values (a placeholder with another root). */
export function templateReadsRuleValues(template: string): boolean {
  for (const match of template.matchAll(placeholder))
    if (!engineRoots.has((match[1] ?? '').split('.')[0]!)) return true;
  return false;
}

/** Compile a template once; rendering then only walks the placeholders. */
export function compileTemplate(template: string): MessageTemplate {
  const parts: Array<string | string[]> = [];
  let last = 0;
  for (const match of template.matchAll(placeholder)) {
    parts.push(template.slice(last, match.index));
    parts.push((match[1] ?? '').split('.'));
    last = (match.index ?? 0) + match[0].length;
  }
  parts.push(template.slice(last));
  if (parts.length === 1) return () => template;
  return (resource, params, path, values) => {
    let out = '';
    for (const part of parts)
      out += typeof part === 'string' ? part : renderValue(lookup(part, resource, params, path, values));
    return out;
  };
}
