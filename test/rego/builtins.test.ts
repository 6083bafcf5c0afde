import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hostBuiltins } from '../../src/rego/builtins/index.js';
import { sprintf } from '../../src/rego/builtins/format.js';
import { findOpa } from '../../src/rego/compiler.js';

const opa = findOpa();
if (!opa)
  console.warn('opa is not installed: the parity test against `opa eval` is skipped (run .ci/setup-opa.sh)');

/** Builtin calls with the value OPA itself returns for them (checked against `opa eval` below when opa is present). */
const cases: Array<{ name: string; args: unknown[]; expected: unknown }> = [
  {
    name: 'sprintf',
    args: ['container <%v> has no limit', ['web']],
    expected: 'container <web> has no limit',
  },
  {
    name: 'sprintf',
    args: ['labels %v missing', [['owner', 'team']]],
    expected: 'labels ["owner", "team"] missing',
  },
  {
    name: 'sprintf',
    args: ['securityContext: %v', [{ privileged: true, runAsUser: 0 }]],
    expected: 'securityContext: {"privileged": true, "runAsUser": 0}',
  },
  {
    name: 'sprintf',
    args: ['%s has %d replicas (%.2f%%)', ['web', 3, 12.5]],
    expected: 'web has 3 replicas (12.50%)',
  },
  {
    name: 'sprintf',
    args: ['%q and %5d|%-5s|%05d', ['a"b', 42, 'ab', -7]],
    expected: '"a\\"b" and    42|ab   |-0007',
  },
  {
    name: 'sprintf',
    args: ['%x %X %o %b %t', [255, 255, 8, 5, true]],
    expected: 'ff FF 10 101 %!t(string=true)',
  },
  { name: 'sprintf', args: ['%v %v', [1.5, null]], expected: '1.5 null' },
  { name: 'sprintf', args: ['%d', ['text']], expected: '%!d(string=text)' },
  {
    name: 'sprintf',
    args: ['%v|%v|%v|%v', [1234567.5, 0.00001, 12.5, 123456789012.25]],
    expected: '1.2345675e+06|1e-05|12.5|1.2345678901225e+11',
  },
  {
    name: 'sprintf',
    args: ['%.1f|%d|%s|%v', [3, 2.5, 3, true]],
    expected: '%!f(int64=3)|%!d(float64=2.5)|%!s(int64=3)|true',
  },
  { name: 'sprintf', args: ['%v and %v', ['one']], expected: 'one and %!v(MISSING)' },
  { name: 'units.parse_bytes', args: ['512Mi'], expected: 536870912 },
  { name: 'units.parse_bytes', args: ['1.5G'], expected: 1500000000 },
  { name: 'units.parse_bytes', args: ['2KiB'], expected: 2048 },
  { name: 'units.parse', args: ['500m'], expected: 0.5 },
  { name: 'units.parse', args: ['2Gi'], expected: 2147483648 },
  { name: 'units.parse', args: ['3M'], expected: 3000000 },
  { name: 'semver.compare', args: ['1.2.3', '1.10.0'], expected: -1 },
  { name: 'semver.compare', args: ['2.0.0-rc.1', '2.0.0'], expected: -1 },
  { name: 'semver.compare', args: ['1.0.0-alpha.10', '1.0.0-alpha.9'], expected: 1 },
  { name: 'semver.is_valid', args: ['v1.2.3'], expected: true },
  { name: 'semver.is_valid', args: ['1.2'], expected: false },
  {
    name: 'strings.any_prefix_match',
    args: [['docker.io/nginx', 'quay.io/x'], ['quay.io/']],
    expected: true,
  },
  { name: 'strings.any_suffix_match', args: ['api.example.com', ['.internal', '.local']], expected: false },
  { name: 'strings.count', args: ['cheese', 'e'], expected: 3 },
  { name: 'indexof_n', args: ['dadad', 'dad'], expected: [0, 2] },
  {
    name: 'regex.split',
    args: ['[/:]', 'registry.example.com/shop/cart:4.1.0'],
    expected: ['registry.example.com', 'shop', 'cart', '4.1.0'],
  },
  {
    name: 'regex.replace',
    args: ['registry.example.com/shop', '^([^/]+)/(.*)$', '$2@$1'],
    expected: 'shop@registry.example.com',
  },
  { name: 'regex.find_n', args: ['[0-9]+', 'a1b22c333', 2], expected: ['1', '22'] },
  { name: 'time.parse_rfc3339_ns', args: ['2025-11-20T09:14:02.5Z'], expected: 1763630042500000000 },
  { name: 'time.parse_duration_ns', args: ['1h30m'], expected: 5400000000000 },
  { name: 'time.parse_duration_ns', args: ['250ms'], expected: 250000000 },
  { name: 'time.date', args: [1763630042500000000], expected: [2025, 11, 20] },
  { name: 'time.weekday', args: [1763630042500000000], expected: 'Thursday' },
  { name: 'hex.encode', args: ['parapet'], expected: '70617261706574' },
  { name: 'base64url.encode_no_pad', args: ['parapet?'], expected: 'cGFyYXBldD8' },
  { name: 'urlquery.encode', args: ['a b&c=d/é'], expected: 'a+b%26c%3Dd%2F%C3%A9' },
  { name: 'urlquery.encode_object', args: [{ b: 'x y', a: ['1', '2'] }], expected: 'a=1&a=2&b=x+y' },
  {
    name: 'crypto.sha256',
    args: ['parapet'],
    expected: '629aff52d81a3553ddae1cda4740440d862800568faa65215b65a4c432edf9c2',
  },
  { name: 'object.subset', args: [{ a: { b: 1, c: 2 }, d: 3 }, { a: { b: 1 } }], expected: true },
  { name: 'object.subset', args: [{ a: { b: 1 } }, { a: { b: 2 } }], expected: false },
  { name: 'numbers.range_step', args: [0, 10, 4], expected: [0, 4, 8] },
  { name: 'net.cidr_is_valid', args: ['10.0.0.0/33'], expected: false },
  {
    name: 'net.cidr_expand',
    args: ['192.168.1.4/30'],
    expected: ['192.168.1.4', '192.168.1.5', '192.168.1.6', '192.168.1.7'],
  },
  { name: 'yaml.unmarshal', args: ['a: [1, 2]\nb: text\n'], expected: { a: [1, 2], b: 'text' } },
];

function call(name: string, args: unknown[]): unknown {
  const impl = hostBuiltins[name];
  if (!impl) throw new Error(`no builtin ${name}`);
  return impl(...args);
}

describe('host builtins', () => {
  it.each(cases.map((c, i) => [i, c.name, c] as const))('#%i %s', (_i, name, c) => {
    expect(call(name, c.args)).toEqual(c.expected);
  });

  it('sprintf reports extra arguments like Go', () => {
    expect(sprintf('%s', ['a', 2])).toBe('a%!(EXTRA int64=2)');
  });

  it('errors surface as exceptions (the host turns them into undefined, as OPA does)', () => {
    expect(() => call('units.parse_bytes', ['12 parsecs'])).toThrow(/not recognized|could not parse/);
    expect(() => call('semver.compare', ['1.2', '1.2.3'])).toThrow(/not a valid SemVer/);
    expect(() => call('net.cidr_expand', ['10.0.0.0/8'])).toThrow(/more than 65536/);
  });

  it.skipIf(!opa)('agree with `opa eval` on every case', () => {
    // One query evaluates every case inside OPA; the results must equal parapet's.
    const query = cases
      .map((c, i) => `r${i} := ${c.name}(${c.args.map((arg) => JSON.stringify(arg)).join(', ')})`)
      .join('; ');
    const output = execFileSync(opa!, ['eval', '--format', 'json', query], { encoding: 'utf8' });
    const bindings = (JSON.parse(output) as { result: Array<{ bindings: Record<string, unknown> }> })
      .result[0]!.bindings;
    cases.forEach((c, i) => {
      const ours = call(c.name, c.args);
      expect({ case: i, name: c.name, value: ours }).toEqual({
        case: i,
        name: c.name,
        value: bindings[`r${i}`],
      });
    });
  });
});
