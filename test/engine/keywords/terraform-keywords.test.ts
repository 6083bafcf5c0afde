import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { isWorld } from '../../../src/engine/keywords/cidr.js';
import {
  cidrKeyword,
  hasTagKeyword,
  jsonStringKeyword,
  portRangeKeyword,
} from '../../../src/engine/keywords/index.js';

const ajv = new Ajv2020({ strict: false });
ajv.addKeyword(cidrKeyword);
ajv.addKeyword(jsonStringKeyword);
ajv.addKeyword(portRangeKeyword);
ajv.addKeyword(hasTagKeyword);

describe('cidr keyword', () => {
  const world = ajv.compile({ cidr: { world: true } });
  it.each([
    ['0.0.0.0/0', true],
    ['::/0', true],
    ['0:0:0:0:0:0:0:0/0', true],
    ['*', true],
    ['Internet', true],
    ['0.0.0.0/1', false],
    ['10.0.0.0/8', false],
    ['2001:db8::/32', false],
    ['not-a-cidr', false],
    ['300.0.0.0/0', false],
  ])('world: %s -> %s', (value, expected) => {
    expect(world(value)).toBe(expected);
    expect(isWorld(value)).toBe(expected);
  });

  it('tests containment both ways, across notations', () => {
    const containsPublic = ajv.compile({ cidr: { contains: ['8.8.8.8'] } });
    expect(containsPublic('8.0.0.0/8')).toBe(true);
    expect(containsPublic('10.0.0.0/8')).toBe(false);
    const privateOnly = ajv.compile({
      cidr: { within: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fd00::/8'] },
    });
    expect(privateOnly('10.20.0.0/16')).toBe(true);
    expect(privateOnly('172.32.0.0/16')).toBe(false);
    expect(privateOnly('fd12:3456::/48')).toBe(true);
    expect(privateOnly('::ffff:10.0.0.1')).toBe(false);
    const mapped = ajv.compile({ cidr: { within: ['::ffff:0:0/96'] } });
    expect(mapped('::ffff:10.0.0.1')).toBe(true);
  });

  it('refuses a policy whose CIDR list is not made of CIDRs', () => {
    expect(() => ajv.compile({ cidr: { within: ['ten-slash-eight'] } })).toThrow(
      'cidr.within: "ten-slash-eight" is not a CIDR',
    );
  });
});

describe('jsonString keyword', () => {
  const wildcard = ajv.compile({
    jsonString: {
      properties: {
        Statement: {
          contains: {
            properties: { Action: { const: '*' }, Resource: { const: '*' } },
            required: ['Action', 'Resource'],
          },
        },
      },
      required: ['Statement'],
    },
  });
  it('validates the parsed document', () => {
    expect(
      wildcard(
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        }),
      ),
    ).toBe(true);
    expect(
      wildcard(
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
        }),
      ),
    ).toBe(false);
  });
  it('never matches a string that is not JSON', () => {
    expect(wildcard('{"Statement": [')).toBe(false);
    expect(ajv.compile({ not: { jsonString: true } })('plain text')).toBe(true);
  });
});

describe('portRange keyword', () => {
  const sshOrRdp = ajv.compile({ portRange: { from: 'from_port', to: 'to_port', includesAny: [22, 3389] } });
  it.each([
    [{ from_port: 22, to_port: 22 }, true],
    [{ from_port: 0, to_port: 1024 }, true],
    [{ from_port: 3000, to_port: 4000 }, true],
    [{ from_port: 443, to_port: 443 }, false],
    [{ from_port: 23, to_port: 3388 }, false],
    [{ to_port: 22 }, false],
  ])('from/to objects: %j -> %s', (value, expected) => {
    expect(sshOrRdp(value)).toBe(expected);
  });

  it('reads port notations and lists of them', () => {
    const ssh = ajv.compile({ portRange: { includesAny: [22] } });
    expect(ssh('22')).toBe(true);
    expect(ssh('20-30')).toBe(true);
    expect(ssh('*')).toBe(true);
    expect(ssh(['80', '443'])).toBe(false);
    expect(ssh(['80', '10-25'])).toBe(true);
    expect(ssh('http')).toBe(false);
    const all = ajv.compile({ portRange: { all: true } });
    expect(all('0-65535')).toBe(true);
    expect(all('1-65535')).toBe(true);
    expect(all('1-1024')).toBe(false);
  });
});

describe('hasTag keyword', () => {
  const production = ajv.compile({ hasTag: { environment: ['production', 'prod'], tier: '*' } });
  it.each([
    [{ environment: 'production' }, true],
    [{ environment: 'prod', team: 'billing' }, true],
    [{ tier: 'anything' }, true],
    [{ environment: 'Production' }, false],
    [{ Environment: 'production' }, false],
    [{ environment: 'staging' }, false],
    [{}, false],
  ])('%j -> %s', (tags, expected) => {
    expect(production(tags)).toBe(expected);
  });

  it('never matches what is not a tag map, so not: { hasTag } lets it through', () => {
    expect(production(['environment', 'production'])).toBe(false);
    expect(ajv.compile({ not: { hasTag: { environment: 'production' } } })(null)).toBe(true);
  });

  it('refuses a value that does not map tag names to values', () => {
    expect(() => ajv.compile({ hasTag: {} })).toThrow();
    expect(() => ajv.compile({ hasTag: { environment: [] } })).toThrow();
    expect(() => ajv.compile({ hasTag: { environment: 3 } })).toThrow();
  });
});
