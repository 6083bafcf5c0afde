import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRuleAjv } from '../../../src/engine/ajv.js';
import type { ErrorObject } from 'ajv';
import { schemaFailure, schemaPredicate } from '../../../src/engine/rules/schema-predicate.js';
import { imageResource } from '../../../src/images/image-resource.js';

// Names that need escaping too: the predicates are generated code, with names as string literals.
const names = [
  'name',
  'tag',
  'digest',
  'body',
  'namespace',
  'error',
  'constructor',
  'it"s',
  'a\\b',
  'x\ny',
  '\u2028',
  '${t0}',
];
const scalar = fc.oneof(
  fc.constantFrom('latest', 'docker.io/library/nginx', 'ghcr.io/example/a', 'prod', '', 'k8s.gcr.io/pause'),
  fc.integer({ min: -2, max: 2 }),
  fc.boolean(),
  fc.constant(null),
);

// Schemas of the subset the predicate answers, nested a few levels.
const schema = fc.letrec<{ schema: unknown }>((tie) => ({
  schema: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(true, false, {}),
    fc.record({ required: fc.uniqueArray(fc.constantFrom(...names), { minLength: 1, maxLength: 3 }) }),
    fc.record({ const: scalar }),
    fc.record({
      glob: fc.oneof(
        fc.constantFrom('docker.io/library/*', 'ghcr.io/example/**', 'k8s.gcr.io', 'pro*'),
        fc.constant(['registry.example.com/**', 'docker.io/library/*']),
      ),
    }),
    fc.record({ not: tie('schema') }),
    fc.record({ anyOf: fc.array(tie('schema'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ allOf: fc.array(tie('schema'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ properties: fc.dictionary(fc.constantFrom(...names), tie('schema'), { maxKeys: 3 }) }),
    fc.record(
      {
        required: fc.uniqueArray(fc.constantFrom(...names), { minLength: 1, maxLength: 2 }),
        properties: fc.dictionary(fc.constantFrom(...names), tie('schema'), { maxKeys: 2 }),
        not: tie('schema'),
        description: fc.constant('annotation'),
      },
      { requiredKeys: [] },
    ),
  ),
})).schema;

// The same without anyOf and allOf: schemas whose first error schemaFailure places.
const placed = fc.letrec<{ schema: unknown }>((tie) => ({
  schema: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(true, false, {}),
    fc.record({
      required: fc.uniqueArray(fc.constantFrom(...names, 'a/b', 'c~d'), { minLength: 1, maxLength: 3 }),
    }),
    fc.record({ const: scalar }),
    fc.record({ glob: fc.constantFrom('docker.io/library/*', 'ghcr.io/example/**', 'pro*') }),
    fc.record({ not: schema }),
    fc.record({ properties: fc.dictionary(fc.constantFrom(...names, 'a/b'), tie('schema'), { maxKeys: 3 }) }),
    fc.record(
      {
        properties: fc.dictionary(fc.constantFrom(...names), tie('schema'), { maxKeys: 2 }),
        required: fc.uniqueArray(fc.constantFrom(...names), { minLength: 1, maxLength: 2 }),
        not: schema,
        const: scalar,
        glob: fc.constant('pro*'),
        title: fc.constant('annotation'),
      },
      { requiredKeys: [] },
    ),
  ),
})).schema;

/** The schema rule's reading of ajv's errors: the deepest place, `required` naming the missing property. */
function deepestPointer(errors: ErrorObject[] | null | undefined): string {
  let best = '';
  let bestDepth = -1;
  for (const error of errors ?? []) {
    const missing = error.params.missingProperty as string | undefined;
    const pointer =
      error.keyword === 'required' && typeof missing === 'string'
        ? `${error.instancePath}/${missing.replace(/~/g, '~0').replace(/\//g, '~1')}`
        : error.instancePath;
    const depth = pointer.split('/').length - 1;
    if (depth > bestDepth) {
      best = pointer;
      bestDepth = depth;
    }
  }
  return best;
}

const data = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.constant(undefined),
    fc.dictionary(fc.constantFrom(...names), tie('value'), { maxKeys: 4 }),
    fc.array(tie('value'), { maxLength: 2 }),
  ),
})).value;

describe('schema predicates', () => {
  it('answer as ajv does for schemas of the subset', () => {
    const ajv = createRuleAjv();
    fc.assert(
      fc.property(schema, fc.array(data, { minLength: 1, maxLength: 8 }), (generated, values) => {
        const predicate = schemaPredicate(generated);
        expect(predicate).toBeDefined();
        const validate = ajv.compile(generated as object);
        for (const value of values) expect(predicate!(value)).toBe(validate(value));
      }),
      { numRuns: 500 },
    );
  }, 30_000);

  it('answer as ajv does for the image policies on image resources', () => {
    const ajv = createRuleAjv();
    const schemas = [
      { not: { required: ['error'] } },
      { required: ['name'] },
      {
        properties: {
          name: { glob: ['registry.example.com/**', 'docker.io/library/*', 'ghcr.io/example/**'] },
        },
      },
      { required: ['normalized'], not: { required: ['digest'] } },
      { required: ['tag'], properties: { tag: { not: { const: 'latest' } } } },
      { properties: { name: { not: { glob: ['k8s.gcr.io/**', 'gcr.io/google_containers/**'] } } } },
    ];
    const references = [
      'nginx',
      'nginx:latest',
      'k8s.gcr.io/pause:3.9',
      'ghcr.io/example/a/b@sha256:' + 'a'.repeat(64),
      'registry.example.com/x:1',
      'Nginx',
      'gcr.io/google_containers/pause',
    ];
    for (const reference of references) {
      const { body } = imageResource(reference, { location: { file: 'a.yaml', line: 1 } });
      for (const generated of schemas) {
        expect([reference, generated, schemaPredicate(generated)!(body)]).toEqual([
          reference,
          generated,
          ajv.compile(generated)(body),
        ]);
      }
    }
  });

  it('place a failure where the first ajv error does', () => {
    const ajv = createRuleAjv();
    const object = fc.dictionary(fc.constantFrom(...names, 'a/b', 'c~d'), data, { maxKeys: 5 });
    fc.assert(
      fc.property(
        placed,
        fc.array(fc.oneof(data, object), { minLength: 1, maxLength: 8 }),
        (generated, values) => {
          const failure = schemaFailure(generated);
          expect(failure).toBeDefined();
          const validate = ajv.compile(generated as object);
          for (const value of values) {
            const valid = validate(value);
            expect(failure!(value)).toBe(valid ? undefined : deepestPointer(validate.errors));
          }
        },
      ),
      { numRuns: 500 },
    );
  }, 30_000);

  it('skip a property named __proto__, as ajv does', () => {
    const ajv = createRuleAjv();
    const schema = { properties: JSON.parse('{"__proto__": false, "a": {"const": 1}}') as object };
    for (const value of [{}, { a: 2 }, JSON.parse('{"__proto__": 5}') as object]) {
      const validate = ajv.compile(schema);
      expect(schemaPredicate(schema)!(value)).toBe(validate(value));
      expect(schemaFailure(schema)!(value)).toBe(validate(value) ? undefined : '/a');
    }
  });

  it('read names and compare values that need escaping as written', () => {
    const odd = ['it"s', "it's", 'a\\b', 'x\ny', '\u2028', '${t0}', '*/ g', '0', ''];
    for (const name of odd) {
      const schema = { required: [name], properties: { [name]: { const: name } } };
      expect(schemaPredicate(schema)!({ [name]: name })).toBe(true);
      expect(schemaPredicate(schema)!({ [name]: name + '!' })).toBe(false);
      expect(schemaPredicate(schema)!({ other: name })).toBe(false);
      expect(schemaFailure(schema)!({ [name]: 1 })).toBe(`/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      expect(schemaFailure(schema)!({})).toBe(`/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    }
  });

  it('leaves every other schema to ajv', () => {
    for (const other of [
      { type: 'string' },
      { pattern: '^a' },
      { properties: { a: { minLength: 1 } } },
      { anyOf: [] },
      { const: { a: 1 } },
      { const: Number.NaN },
      { required: 'name' },
      { glob: 42 },
      { $ref: '#/$defs/a' },
      { cidr: '10.0.0.0/8' },
      5,
    ])
      expect(schemaPredicate(other)).toBeUndefined();
    expect(schemaFailure({ anyOf: [{ required: ['a'] }] })).toBeUndefined();
    // Too large to generate: ajv answers (the limit bounds the generated code and the recursion).
    let deep: unknown = { const: 1 };
    for (let i = 0; i < 3000; i += 1) deep = { not: deep };
    expect(schemaPredicate(deep)).toBeUndefined();
    expect(schemaFailure({ properties: { a: deep } })).toBeUndefined();
    expect(schemaPredicate({ not: { not: { const: 1 } } })!(1)).toBe(true);
    expect(schemaFailure({ properties: { a: { allOf: [true] } } })).toBeUndefined();
  });
});
