/**
 * What a JSON Schema reads: the pointer patterns (with `*` for any key or index) of every value its
 * keywords inspect. The engine uses it to tell when a passing verdict rests on a value unknown until apply.
 */

const applicators = ['allOf', 'anyOf', 'oneOf'] as const;
const inPlace = ['not', 'if', 'then', 'else'] as const;
const structural = new Set([
  'properties',
  'required',
  'patternProperties',
  'additionalProperties',
  'items',
  'prefixItems',
  'contains',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
  '$id',
  '$schema',
  '$comment',
  'title',
  'description',
  'default',
  'examples',
  '$defs',
  'definitions',
  // `type` alone says nothing about the values inside an object or array.
  'type',
]);

function walk(schema: unknown, prefix: string[], out: Map<string, string[]>): void {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return;
  const record = schema as Record<string, unknown>;
  const add = (tokens: string[]) => out.set(tokens.join('/'), tokens);
  for (const key of Object.keys(record)) if (!structural.has(key)) add(prefix);
  const properties = record.properties as Record<string, unknown> | undefined;
  if (properties && typeof properties === 'object') {
    for (const [name, sub] of Object.entries(properties)) {
      add([...prefix, name]);
      walk(sub, [...prefix, name], out);
    }
  }
  if (Array.isArray(record.required)) for (const name of record.required) add([...prefix, String(name)]);
  for (const key of ['patternProperties'] as const) {
    const subs = record[key] as Record<string, unknown> | undefined;
    if (subs && typeof subs === 'object') for (const sub of Object.values(subs)) walk(sub, [...prefix, '*'], out);
  }
  for (const key of ['additionalProperties', 'items', 'contains'] as const) {
    const sub = record[key];
    if (sub && typeof sub === 'object') {
      add([...prefix, '*']);
      walk(sub, [...prefix, '*'], out);
    }
  }
  if (Array.isArray(record.prefixItems)) record.prefixItems.forEach((sub, i) => walk(sub, [...prefix, String(i)], out));
  for (const key of applicators) if (Array.isArray(record[key])) for (const sub of record[key] as unknown[]) walk(sub, prefix, out);
  for (const key of inPlace) walk(record[key], prefix, out);
}

/** Token lists (relative to the schema's instance) of every place the schema reads. */
export function schemaReadPatterns(schema: unknown): string[][] {
  const out = new Map<string, string[]>();
  walk(schema, [], out);
  return [...out.values()];
}

/** True when the concrete pointer tokens and the pattern tokens overlap (one is a prefix of the other). */
export function patternOverlaps(pattern: string[], tokens: string[]): boolean {
  const n = Math.min(pattern.length, tokens.length);
  for (let i = 0; i < n; i += 1) {
    if (pattern[i] !== '*' && pattern[i] !== tokens[i]) return false;
  }
  return true;
}
