import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatKey,
  formatModuleInstance,
  formattedKeyLength,
  parseCanonicalModuleInstance,
  parseResourceAddress,
  type ModuleStep,
} from '../../src/terraform/address.js';

describe('parseResourceAddress', () => {
  it.each([
    ['aws_instance.web', { module: [], mode: 'managed', type: 'aws_instance', name: 'web' }],
    ['aws_instance.web[3]', { module: [], mode: 'managed', type: 'aws_instance', name: 'web', key: 3 }],
    [
      'data.aws_iam_policy_document.assume',
      { module: [], mode: 'data', type: 'aws_iam_policy_document', name: 'assume' },
    ],
    [
      'module.net["eu-west-1"].module.subnets[0].aws_subnet.private["a.b]c"]',
      {
        module: [
          { name: 'net', key: 'eu-west-1' },
          { name: 'subnets', key: 0 },
        ],
        mode: 'managed',
        type: 'aws_subnet',
        name: 'private',
        key: 'a.b]c',
      },
    ],
    [
      'module.app.data.aws_ami.ubuntu',
      { module: [{ name: 'app' }], mode: 'data', type: 'aws_ami', name: 'ubuntu' },
    ],
  ])('parses %s', (address, expected) => {
    expect(parseResourceAddress(address)).toEqual(expected);
  });

  it.each([
    'aws_instance',
    'module.x',
    'aws_instance.web[x]',
    'aws_instance.web["a"',
    'module..aws_instance.web',
    'aws_instance.web extra',
  ])('rejects %s', (address) => {
    expect(parseResourceAddress(address)).toBeUndefined();
  });

  it('formats module instances back to the address form', () => {
    const parsed = parseResourceAddress('module.net["eu"].module.subnets[0].aws_subnet.a');
    expect(formatModuleInstance(parsed?.module ?? [])).toBe('module.net["eu"].module.subnets[0]');
  });
});

describe('parseCanonicalModuleInstance', () => {
  const generic = (text: string) => parseResourceAddress(`${text}.x.y`)?.module;

  it.each([
    'module.a',
    'module.net["eu-west-1"].module.subnets[0]',
    'module.service["svc-000001"]',
    'module.a["x.y]z"].module.b_c-d[10]',
    'module.data',
  ])('reads %s like parseResourceAddress', (text) => {
    const steps = parseCanonicalModuleInstance(text);
    expect(steps).toEqual(generic(text));
    expect(formatModuleInstance(steps ?? [])).toBe(text);
  });

  it.each([
    ['a leading zero', 'module.a[007]'],
    ['an escaped key', 'module.a["x\\"y"]'],
    ['a resource part', 'module.a.data'],
    ['a trailing dot', 'module.a.'],
    ['no module', 'aws_s3_bucket.b'],
    ['an unclosed key', 'module.a["x"'],
    ['an empty name', 'module.[0]'],
  ])('leaves %s to the general parser', (_name, text) => {
    expect(parseCanonicalModuleInstance(text)).toBeUndefined();
  });

  const identifier = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,8}$/);
  const step: fc.Arbitrary<ModuleStep> = fc.oneof(
    identifier.map((name) => ({ name })),
    fc.record({ name: identifier, key: fc.nat() }),
    fc.record({ name: identifier, key: fc.string({ maxLength: 6 }) }),
  );

  it('reads back whatever formatModuleInstance writes, exactly as the general parser does', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 4 }), (steps) => {
        const text = formatModuleInstance(steps);
        const canonical = parseCanonicalModuleInstance(text);
        // Keys that need escaping are left to the general parser.
        if (canonical) expect(canonical).toEqual(generic(text));
        else expect(text).toMatch(/\\/);
        expect(generic(text)).toEqual(steps);
      }),
    );
  });

  it('never disagrees with the general parser on arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'module.[]"0123ab\\_'.split('')), maxLength: 30 }),
        (text) => {
          const canonical = parseCanonicalModuleInstance(text);
          if (canonical) {
            expect(canonical).toEqual(generic(text));
            expect(formatModuleInstance(canonical)).toBe(text);
          }
        },
      ),
    );
  });
});

describe('formattedKeyLength', () => {
  it.each([
    [undefined],
    [0],
    [12],
    [-1],
    [1.5],
    ['svc-000001'],
    [''],
    ['a"b'],
    ['back\\slash'],
    ['new\nline'],
    ['\u0001'],
    ['caf\u00e9'],
    ['\ud83d\ude00'],
    ['lone \ud800'],
  ])('is the length of formatKey(%j)', (key) => {
    expect(formattedKeyLength(key)).toBe(formatKey(key).length);
  });

  it('is the length of formatKey for any string or integer key', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.integer()), (key) => {
        expect(formattedKeyLength(key)).toBe(formatKey(key).length);
      }),
    );
  });
});
