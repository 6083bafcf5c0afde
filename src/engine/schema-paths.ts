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
]);

/** Keywords that never reject a value. */
const annotations = new Set([
  '$id',
  '$schema',
  '$comment',
  'title',
  'description',
  'default',
  'examples',
  '$defs',
  'definitions',
]);

/**
 * Keywords that look at a value's shape only (its type, its length, which keys it has): a value
 * unknown somewhere *inside* it does not change their verdict, one unknown at or above it does.
 */
const shallow = new Set([
  'type',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'minContains',
  'maxContains',
  'propertyNames',
]);

/** A place a schema reads; `deep` when the verdict depends on everything below it (const, enum, pattern ...). */
export interface ReadPattern {
  tokens: string[];
  deep: boolean;
}

function walk(schema: unknown, prefix: string[], out: Map<string, ReadPattern>): void {
  const add = (tokens: string[], deep: boolean) => {
    const key = tokens.join('/');
    const existing = out.get(key);
    if (!existing) out.set(key, { tokens, deep });
    else if (deep) existing.deep = true;
  };
  // `false` (for example `additionalProperties: false`) reads whether the value exists at all.
  if (schema === false) add(prefix, false);
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return;
  const record = schema as Record<string, unknown>;
  // A schema that can reject a value reads whether it is there (`not: true` reads nothing else).
  if (Object.keys(record).some((key) => !annotations.has(key))) add(prefix, false);
  for (const key of Object.keys(record)) {
    if (shallow.has(key)) add(prefix, false);
    else if (!structural.has(key)) add(prefix, true);
  }
  const properties = record.properties as Record<string, unknown> | undefined;
  if (properties && typeof properties === 'object') {
    for (const [name, sub] of Object.entries(properties)) walk(sub, [...prefix, name], out);
  }
  if (Array.isArray(record.required))
    for (const name of record.required) add([...prefix, String(name)], false);
  for (const key of ['patternProperties'] as const) {
    const subs = record[key] as Record<string, unknown> | undefined;
    if (subs && typeof subs === 'object')
      for (const sub of Object.values(subs)) walk(sub, [...prefix, '*'], out);
  }
  for (const key of ['additionalProperties', 'items', 'contains'] as const) {
    if (record[key] !== undefined) walk(record[key], [...prefix, '*'], out);
  }
  if (Array.isArray(record.prefixItems))
    record.prefixItems.forEach((sub, i) => walk(sub, [...prefix, String(i)], out));
  for (const key of applicators)
    if (Array.isArray(record[key])) for (const sub of record[key] as unknown[]) walk(sub, prefix, out);
  for (const key of inPlace) walk(record[key], prefix, out);
}

/** Every place (relative to the schema's instance) the schema reads. */
export function schemaReadPatterns(schema: unknown): ReadPattern[] {
  const out = new Map<string, ReadPattern>();
  walk(schema, [], out);
  return [...out.values()];
}

/**
 * True when a value unknown at `tokens` can change what the schema sees at `pattern`: the unknown
 * is at or above the read place, or below a place read deeply.
 */
export function readDependsOn(pattern: ReadPattern, tokens: string[]): boolean {
  if (!pattern.deep && tokens.length > pattern.tokens.length) return false;
  return patternOverlaps(pattern.tokens, tokens);
}

/** True when the concrete pointer tokens and the pattern tokens overlap (one is a prefix of the other). */
export function patternOverlaps(pattern: string[], tokens: string[]): boolean {
  const n = Math.min(pattern.length, tokens.length);
  for (let i = 0; i < n; i += 1) {
    if (pattern[i] !== '*' && pattern[i] !== tokens[i]) return false;
  }
  return true;
}
