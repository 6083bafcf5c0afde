import { Ajv2020 } from 'ajv/dist/2020.js';
import type { AnySchema } from 'ajv';
import addFormats from 'ajv-formats';
import { keywords } from './keywords/index.js';

export type { Ajv2020 } from 'ajv/dist/2020.js';

const schemaMaps = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
const dataKeys = new Set(['const', 'enum', 'default', 'examples', 'required']);

/** A copy of `schema` with `minItems: 1` beside every `contains` that does not allow zero matches. */
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

/** An ajv instance for rule schemas: lenient about unknown keywords, with formats and domain keywords. */
export function createRuleAjv(options: { allErrors?: boolean } = {}): Ajv2020 {
  const ajv = new Ajv2020({
    strict: false,
    allErrors: options.allErrors ?? false,
    validateSchema: true,
    // Rules read an error's place (instancePath, params), never its text: no message strings.
    messages: false,
    code: { optimize: true },
  });
  addFormats.default(ajv);
  // ajv 8.20 keeps a stale `contains` result when it meets an empty array inside an `items` loop
  // under `anyOf`, so `[{a:[1]}, {a:[]}]` can pass a rule it fails. `contains` already implies a
  // non-empty array (unless minContains is 0), so stating `minItems: 1` changes no verdict and
  // sidesteps the bug for every policy (test/engine/ajv.test.ts pins it).
  const compile = ajv.compile.bind(ajv);
  ajv.compile = ((schema: AnySchema, meta?: boolean) =>
    compile(guardContains(schema), meta)) as typeof ajv.compile;
  for (const keyword of keywords) ajv.addKeyword(keyword);
  return ajv;
}
