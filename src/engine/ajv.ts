import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { keywords } from './keywords/index.js';

export type { Ajv2020 } from 'ajv/dist/2020.js';

/** An ajv instance for rule schemas: lenient about unknown keywords, with formats and domain keywords. */
export function createRuleAjv(options: { allErrors?: boolean } = {}): Ajv2020 {
  const ajv = new Ajv2020({
    strict: false,
    allErrors: options.allErrors ?? false,
    validateSchema: true,
    code: { optimize: true },
  });
  addFormats.default(ajv);
  for (const keyword of keywords) ajv.addKeyword(keyword);
  return ajv;
}
