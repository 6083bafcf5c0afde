import { describe, expect, it } from 'vitest';
import { createRuleAjv, guardContains } from '../../src/engine/ajv.js';

// A container list where every container must drop ALL capabilities, or be exempt.
const schema = {
  type: 'array',
  items: {
    anyOf: [
      { properties: { drop: { contains: { const: 'ALL' } } }, required: ['drop'] },
      { required: ['exempt'] },
    ],
  },
};

describe('rule ajv', () => {
  it('judges an empty array after a matching one correctly (ajv 8.20 contains-in-items bug)', () => {
    const validate = createRuleAjv().compile(schema);
    expect(validate([{ drop: ['ALL'] }, { drop: [] }])).toBe(false);
    expect(validate([{ drop: [] }, { drop: ['ALL'] }])).toBe(false);
    expect(validate([{ drop: ['ALL'] }, { drop: ['ALL'] }])).toBe(true);
    expect(validate([{ drop: ['ALL'] }, { exempt: true }])).toBe(true);
  });

  it('adds minItems beside contains only where zero matches are not allowed', () => {
    expect(guardContains({ contains: { const: 1 } })).toEqual({ contains: { const: 1 }, minItems: 1 });
    expect(guardContains({ contains: { const: 1 }, minContains: 0 })).toEqual({
      contains: { const: 1 },
      minContains: 0,
    });
    expect(guardContains({ const: { contains: 1 } })).toEqual({ const: { contains: 1 } });
  });

  it('has the glob keyword', () => {
    const validate = createRuleAjv().compile({
      properties: { image: { glob: ['k8s.gcr.io/**', 'registry.k8s.io/**'] } },
    });
    expect(validate({ image: 'k8s.gcr.io/pause:3.9' })).toBe(true);
    expect(validate({ image: 'docker.io/library/nginx' })).toBe(false);
  });
});
