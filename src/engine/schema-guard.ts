const schemaMaps = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
const dataKeys = new Set(['const', 'enum', 'default', 'examples', 'required']);

/**
 * A copy of `schema` with `minItems: 1` beside every `contains` that does not allow zero matches.
 * ajv 8.20 keeps a stale `contains` result when it meets an empty array inside an `items` loop
 * under `anyOf`, so `[{a:[1]}, {a:[]}]` can pass a rule it fails. `contains` already implies a
 * non-empty array (unless minContains is 0), so stating `minItems: 1` changes no verdict and
 * sidesteps the bug for every policy (test/engine/ajv.test.ts pins it).
 */
export function guardContains<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(guardContains) as T;
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (dataKeys.has(key)) out[key] = value;
    else if (schemaMaps.has(key) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, guardContains(sub)]));
    } else out[key] = guardContains(value);
  }
  if (out.contains !== undefined && out.minContains !== 0 && out.minItems === undefined) out.minItems = 1;
  return out as T;
}
