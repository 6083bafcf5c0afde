import { Ajv2020 } from 'ajv/dist/2020.js';
import type { AnySchema } from 'ajv';
import addFormats from 'ajv-formats';
import { keywords } from './keywords/index.js';
import { guardContains } from './schema-guard.js';

export type { Ajv2020 } from 'ajv/dist/2020.js';
export { guardContains } from './schema-guard.js';

/**
 * An ajv instance for rule schemas: lenient about unknown keywords, with formats and domain keywords.
 * `source` keeps the generated code, for writing validators out with ajv's standalone mode.
 */
export function createRuleAjv(options: { allErrors?: boolean; source?: boolean } = {}): Ajv2020 {
  const ajv = new Ajv2020({
    strict: false,
    allErrors: options.allErrors ?? false,
    validateSchema: true,
    // Rules read an error's place (instancePath, params), never its text: no message strings.
    messages: false,
    code: { optimize: true, source: options.source ?? false },
  });
  addFormats.default(ajv);
  // See guardContains: every schema ajv compiles, nested ones included, gets the guard.
  const compile = ajv.compile.bind(ajv);
  ajv.compile = ((schema: AnySchema, meta?: boolean) =>
    compile(guardContains(schema), meta)) as typeof ajv.compile;
  for (const keyword of keywords) ajv.addKeyword(keyword);
  return ajv;
}
