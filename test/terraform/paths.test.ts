import { describe, expect, it } from 'vitest';
import { MarkedShapes, markedPointers, stepsToPointers } from '../../src/terraform/paths.js';

describe('markedPointers', () => {
  it.each([
    ['a shadow that is true itself', true, ['']],
    ['no marks', {}, []],
    ['false and null leaves', { a: false, b: null, c: [false], d: {} }, []],
    ['top-level attributes', { arn: true, id: true, tags: false }, ['/arn', '/id']],
    [
      'nested blocks and list items',
      { rule: [{ apply: [{ kms_key: true }] }, true], versioning: { enabled: true } },
      ['/rule/0/apply/0/kms_key', '/rule/1', '/versioning/enabled'],
    ],
    ['keys that need escaping', { 'a/b': true, 'c~d': { 'e/f': true } }, ['/a~1b', '/c~0d/e~1f']],
    ['a list at the top', [true, { x: true }], ['/0', '/1/x']],
  ])('%s', (_name, shadow, pointers) => {
    expect(markedPointers(shadow)).toEqual(pointers);
  });
});

describe('MarkedShapes', () => {
  it('gives shadows of one shape the same pointer list, and others their own', () => {
    const shapes = new MarkedShapes();
    const first = shapes.of({ arn: true, id: true, rule: [{ key: true }] });
    const second = shapes.of({ arn: true, id: true, rule: [{ key: true }], other: false });
    const third = shapes.of({ id: true, arn: true });
    expect(first.pointers).toEqual(['/arn', '/id', '/rule/0/key']);
    expect(second.pointers).toBe(first.pointers);
    expect(third.pointers).toEqual(['/id', '/arn']);
    expect(shapes.of({}).pointers).toEqual([]);
    // A prefix of a longer shape keeps its own list.
    expect(shapes.of({ arn: true }).pointers).toEqual(['/arn']);
    expect(first.pointers).toEqual(['/arn', '/id', '/rule/0/key']);
  });

  it('lists the top-level attributes marked as a whole that the configuration does not set', () => {
    const shapes = new MarkedShapes();
    const shape = shapes.of({ arn: true, storage_encrypted: true, block: [{ inner: true }], kms: true });
    expect(shapes.unset(shape, undefined)).toEqual(['arn', 'storage_encrypted', 'kms']);
    const expressions = { kms: { references: ['aws_kms_key.k.arn'] } };
    expect(shapes.unset(shape, expressions)).toEqual(['arn', 'storage_encrypted']);
    expect(
      shapes.unset(
        shapes.of({ arn: true, storage_encrypted: true, block: [{ inner: true }], kms: true }),
        expressions,
      ),
    ).toBe(shapes.unset(shape, expressions));
    // An object key that looks like a list index is still a top-level attribute.
    expect(shapes.unset(shapes.of({ 0: true }), undefined)).toEqual(['0']);
    expect(shapes.unset(shapes.of([true]), undefined)).toEqual([]);
  });
});

describe('stepsToPointers', () => {
  it('turns replace_paths into pointers and skips what is not a list of steps', () => {
    expect(stepsToPointers([['storage_encrypted'], ['rule', 0, 'a/b'], 'x'])).toEqual([
      '/storage_encrypted',
      '/rule/0/a~1b',
    ]);
    expect(stepsToPointers(undefined)).toEqual([]);
  });
});
