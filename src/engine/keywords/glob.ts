import type { KeywordDefinition } from 'ajv';
import { Minimatch } from 'minimatch';

/** `glob: PATTERN | [PATTERN...]`: the string matches at least one minimatch glob. */
export const globKeyword: KeywordDefinition = {
  keyword: 'glob',
  type: 'string',
  schemaType: ['string', 'array'],
  compile(schema: string | string[]) {
    const patterns = (Array.isArray(schema) ? schema : [schema]).map(
      (pattern) => new Minimatch(pattern, { dot: true, nocomment: true, nonegate: true }),
    );
    return (data: string) => patterns.some((pattern) => pattern.match(data));
  },
  errors: false,
  metaSchema: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
};
