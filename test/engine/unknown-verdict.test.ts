import type { ValidateFunction } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRuleAjv } from '../../src/engine/ajv.js';
import { pointerTokens } from '../../src/engine/pointer.js';
import { UnknownVerdict, type SubschemaTest } from '../../src/engine/unknown-verdict.js';

const ajv = createRuleAjv();
const compiled = new WeakMap<object, ValidateFunction>();
const validates: SubschemaTest = (schema, data) => {
  if (typeof schema === 'boolean') return schema;
  let validate = compiled.get(schema as object);
  if (!validate) compiled.set(schema as object, (validate = ajv.compile(schema as object)));
  return validate(data) === true;
};
const verdictOn = (unknowns: string[]) => new UnknownVerdict(unknowns.map(pointerTokens), validates);

// aws-eks-public-endpoint's rule: a private endpoint, or public CIDRs without the world.
const eks = {
  required: ['vpc_config'],
  properties: {
    vpc_config: {
      items: {
        anyOf: [
          { required: ['endpoint_public_access'], properties: { endpoint_public_access: { const: false } } },
          {
            required: ['public_access_cidrs'],
            properties: {
              public_access_cidrs: {
                not: { minItems: 1, contains: { type: 'string', cidr: { world: true } } },
              },
            },
          },
        ],
      },
    },
  },
};

describe('verdicts on values unknown until apply', () => {
  it.each([
    [
      'a private endpoint, CIDRs unknown',
      { endpoint_public_access: false },
      ['/vpc_config/0/public_access_cidrs'],
      'pass',
    ],
    [
      'restricted CIDRs, endpoint unknown',
      { public_access_cidrs: ['10.0.0.0/8'] },
      ['/vpc_config/0/endpoint_public_access'],
      'pass',
    ],
    [
      'a public endpoint, CIDRs unknown',
      { endpoint_public_access: true },
      ['/vpc_config/0/public_access_cidrs'],
      'open',
    ],
    [
      'world CIDRs, endpoint unknown',
      { public_access_cidrs: ['0.0.0.0/0'] },
      ['/vpc_config/0/endpoint_public_access'],
      'open',
    ],
    [
      'both unknown',
      {},
      ['/vpc_config/0/endpoint_public_access', '/vpc_config/0/public_access_cidrs'],
      'open',
    ],
    ['the whole block unknown', undefined, ['/vpc_config'], 'open'],
    [
      'a public endpoint open to the world, an unrelated value unknown',
      { endpoint_public_access: true, public_access_cidrs: ['0.0.0.0/0'] },
      ['/vpc_config/0/vpc_id'],
      'fail',
    ],
    [
      'a second block unknown beside a private one',
      { endpoint_public_access: false },
      ['/vpc_config/1'],
      'open',
    ],
  ])('%s: %s', (_, block, unknowns, expected) => {
    const body = block === undefined ? {} : { vpc_config: [block] };
    const verdict = verdictOn(unknowns);
    const outcome = verdict.passes(eks, body) ? 'pass' : verdict.fails(eks, body) ? 'fail' : 'open';
    expect(outcome).toBe(expected);
  });

  it('keeps every read of `not`, `oneOf` and conditionals', () => {
    const oneOf = { oneOf: [{ required: ['a'] }, { required: ['b'] }] };
    expect(verdictOn(['/b']).passes(oneOf, { a: 1 })).toBe(false);
    const conditional = { if: { required: ['a'] }, then: { required: ['b'] } };
    expect(verdictOn(['/a']).passes(conditional, {})).toBe(false);
  });

  it('never settles a verdict that some values at the unknown places would change', () => {
    const names = ['a', 'b', 'c'];
    const scalar = fc.oneof(
      fc.constantFrom('x', 'y', '0.0.0.0/0', '10.0.0.0/8'),
      fc.integer({ min: 0, max: 2 }),
      fc.boolean(),
      fc.constant(null),
    );
    const schema = fc.letrec<{ schema: unknown }>((tie) => ({
      schema: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom(true, false, {}, { type: 'array' }, { type: 'object' }, { minItems: 1 }),
        fc.record({ const: scalar }),
        fc.record({ required: fc.uniqueArray(fc.constantFrom(...names), { minLength: 1, maxLength: 2 }) }),
        fc.record({ not: tie('schema') }),
        fc.record({ anyOf: fc.array(tie('schema'), { minLength: 1, maxLength: 3 }) }),
        fc.record({ allOf: fc.array(tie('schema'), { minLength: 1, maxLength: 2 }) }),
        fc.record({ oneOf: fc.array(tie('schema'), { minLength: 1, maxLength: 2 }) }),
        fc.record({ items: tie('schema') }),
        fc.record({ contains: tie('schema') }),
        fc.record({ properties: fc.dictionary(fc.constantFrom(...names), tie('schema'), { maxKeys: 3 }) }),
        fc.record(
          {
            required: fc.uniqueArray(fc.constantFrom(...names), { minLength: 1, maxLength: 2 }),
            properties: fc.dictionary(fc.constantFrom(...names), tie('schema'), { maxKeys: 2 }),
            anyOf: fc.array(tie('schema'), { minLength: 1, maxLength: 2 }),
            additionalProperties: fc.constantFrom(false, { type: 'string' }),
          },
          { requiredKeys: [] },
        ),
      ),
    })).schema;
    const value = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        scalar,
        fc.dictionary(fc.constantFrom(...names), tie('value'), { maxKeys: 3 }),
        fc.array(tie('value'), { maxLength: 2 }),
      ),
    })).value;
    /** Every place of an object key in the value (unknown values are absent keys in a plan's `after`). */
    const keyPlaces = (data: unknown, prefix: string[] = []): string[][] => {
      if (Array.isArray(data)) return data.flatMap((item, i) => keyPlaces(item, [...prefix, String(i)]));
      if (data === null || typeof data !== 'object') return [];
      return Object.entries(data).flatMap(([key, item]) => [
        [...prefix, key],
        ...keyPlaces(item, [...prefix, key]),
      ]);
    };
    const withAt = (data: unknown, place: string[], replacement: unknown): unknown => {
      if (place.length === 0) return replacement;
      const [head, ...rest] = place;
      if (Array.isArray(data))
        return data.map((item, i) => (String(i) === head ? withAt(item, rest, replacement) : item));
      const copy = { ...(data as Record<string, unknown>) };
      if (rest.length === 0 && replacement === undefined) delete copy[head!];
      else copy[head!] = withAt(copy[head!], rest, replacement);
      return copy;
    };
    let settled = 0;
    fc.assert(
      fc.property(
        schema,
        fc.dictionary(fc.constantFrom(...names), value, { minKeys: 1, maxKeys: 3 }),
        fc.integer({ min: 0, max: 1_000 }),
        fc.array(fc.option(value, { nil: undefined }), { minLength: 6, maxLength: 6 }),
        (generated, data, pick, fills) => {
          const places = keyPlaces(data);
          const place = places[pick % places.length]!;
          // Only the innermost unknown counts: a value inside an unknown one is unknown too.
          const known = withAt(data, place, undefined);
          const verdict = new UnknownVerdict([place], validates);
          const passes = verdict.passes(generated, known);
          const fails = verdict.fails(generated, known);
          expect(passes && fails).toBe(false);
          if (!passes && !fails) return;
          settled += 1;
          for (const fill of fills) expect(validates(generated, withAt(known, place, fill))).toBe(passes);
        },
      ),
      { numRuns: 1_500 },
    );
    expect(settled).toBeGreaterThan(500);
  }, 60_000);
});
