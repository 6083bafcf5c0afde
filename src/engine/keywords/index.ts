import { _, Name, stringify, type CodeKeywordDefinition, type KeywordCxt } from 'ajv';
import { cidrMetaSchema } from './cidr.js';
import { containerAnnotationKeyword } from './containerAnnotation.js';
import { globMetaSchema } from './glob.js';
import { hasTagMetaSchema } from './hasTag.js';
import { portRangeMetaSchema } from './portRange.js';
import { keywordRuntime } from './runtime.js';

/**
 * The name precompiled validator modules bind {@link keywordRuntime} to. Keywords generate code
 * (rather than ajv's `compile` callbacks) so that ajv's standalone mode can write them out.
 */
export const keywordRuntimeName = new Name('parapetKeywords');

type PredicateName = 'glob' | 'cidr' | 'portRange' | 'secretLike' | 'hasTag';

/** A keyword answered by a predicate made once from its schema value, called by the generated code. */
function predicateKeyword(
  keyword: PredicateName,
  definition: Omit<CodeKeywordDefinition, 'keyword' | 'code'>,
): CodeKeywordDefinition {
  const make = keywordRuntime[keyword] as (schema: unknown) => (data: unknown) => boolean;
  return {
    keyword,
    ...definition,
    code(cxt: KeywordCxt) {
      // Made here too, so that a bad schema value fails when the policy is compiled.
      const predicate = cxt.gen.scopeValue('keyword', {
        ref: make(cxt.schema),
        code: _`${keywordRuntimeName}.${new Name(keyword)}(${stringify(cxt.schema)})`,
      });
      cxt.pass(_`${predicate}(${cxt.data})`);
    },
  };
}

/** `glob: PATTERN | [PATTERN...]`: the string matches at least one minimatch glob. */
export const globKeyword = predicateKeyword('glob', {
  type: 'string',
  schemaType: ['string', 'array'],
  metaSchema: globMetaSchema,
});

/** `cidr: { world | contains | within }`: see {@link cidrPredicate}. */
export const cidrKeyword = predicateKeyword('cidr', {
  type: 'string',
  schemaType: 'object',
  metaSchema: cidrMetaSchema,
});

/** `portRange: { includesAny | all | from/to }`: see {@link portRangePredicate}. */
export const portRangeKeyword = predicateKeyword('portRange', {
  schemaType: 'object',
  metaSchema: portRangeMetaSchema,
});

/** `secretLike: true|false`: see {@link secretLikePredicate}. */
export const secretLikeKeyword = predicateKeyword('secretLike', {
  schemaType: 'boolean',
  metaSchema: { type: 'boolean' },
});

/** `hasTag: { NAME: VALUES }`: see {@link hasTagPredicate}. */
export const hasTagKeyword = predicateKeyword('hasTag', {
  // No type restriction: a value that is not a tag map fails (an untagged resource is not production).
  schemaType: 'object',
  metaSchema: hasTagMetaSchema,
});

/**
 * `jsonString: SCHEMA`: the string is a JSON document (an IAM policy from `jsonencode`, ECS container
 * definitions) and the parsed value satisfies SCHEMA. A string that is not JSON never matches, so
 * `not: { jsonString: ... }` lets it pass.
 */
export const jsonStringKeyword: CodeKeywordDefinition = {
  keyword: 'jsonString',
  type: 'string',
  schemaType: ['object', 'boolean'],
  code(cxt: KeywordCxt) {
    const { gen, it } = cxt;
    // A separate validator: standalone code writes out the functions a 'validate' value refers to.
    const validate = gen.scopeValue('validate', { ref: it.self.compile(cxt.schema as object) });
    const parse = gen.scopeValue('keyword', {
      ref: keywordRuntime.jsonText,
      code: _`${keywordRuntimeName}.jsonText`,
    });
    const value = gen.const('json', _`${parse}(${cxt.data})`);
    cxt.pass(_`${value} !== undefined && ${validate}(${value})`);
  },
};

/**
 * `x509: SCHEMA`: every certificate the string holds (PEM, or base64 of PEM or DER, as Secret `data`
 * and webhook `caBundle`s keep them) satisfies SCHEMA, judged on its facts (see
 * `CertificateFacts` in src/certificates/x509.ts: `daysUntilExpiry`, `keyType`, `keyBits`, `signatureHash`, `dnsNames` ...).
 * A value without certificates (empty, a placeholder) has nothing to judge and passes.
 */
export const x509Keyword: CodeKeywordDefinition = {
  keyword: 'x509',
  type: 'string',
  schemaType: ['object', 'boolean'],
  code(cxt: KeywordCxt) {
    const { gen, it } = cxt;
    const validate = gen.scopeValue('validate', { ref: it.self.compile(cxt.schema as object) });
    const certificates = gen.scopeValue('keyword', {
      ref: keywordRuntime.certificates,
      code: _`${keywordRuntimeName}.certificates`,
    });
    cxt.pass(_`${certificates}(${cxt.data}).every((certificate) => ${validate}(certificate))`);
  },
};

/** parapet's domain keywords, added to every ajv instance that compiles policy rules. */
export const keywords: CodeKeywordDefinition[] = [
  globKeyword,
  cidrKeyword,
  jsonStringKeyword,
  portRangeKeyword,
  secretLikeKeyword,
  hasTagKeyword,
  containerAnnotationKeyword,
  x509Keyword,
];
