/** Message templates: `{{ a.b.c }}` placeholders resolved against a context object. */

export type MessageTemplate = (context: Record<string, unknown>) => string;

const placeholder = /\{\{\s*([A-Za-z_$][\w$]*(?:\.[\w$-]+)*)\s*\}\}/g;

function renderValue(value: unknown): string {
  if (value === undefined || value === null) return '(unset)';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    const json = JSON.stringify(value);
    return json.length > 200 ? json.slice(0, 197) + '...' : json;
  } catch {
    return String(value);
  }
}

function lookup(context: Record<string, unknown>, path: string[]): unknown {
  let current: unknown = context;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
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
  return (context) => {
    let out = '';
    for (const part of parts) out += typeof part === 'string' ? part : renderValue(lookup(context, part));
    return out;
  };
}
