/**
 * Runs the cel-spec conformance tests (shipped by @bufbuild/cel-spec) that apply to the CEL parapet
 * evaluates: the language core, macros (two-variable ones included), optionals, strings extension
 * and cel.bind. Sections about protobuf messages, wrappers, enums, the math and encoders extensions,
 * containers and type checking are out of scope (Kubernetes objects are JSON; the admission
 * environment has none of those extensions).
 */
import { celUint, isCelList, isCelMap, isCelUint, type CelValue } from '@bufbuild/cel';
import type { Value } from '@bufbuild/cel-spec/cel/expr/value_pb.js';
import {
  getConformanceSuite,
  type IncrementalTest,
  type IncrementalTestSuite,
} from '@bufbuild/cel-spec/testdata/tests.js';
import { CelCompileError, CelEnvironment, OpaqueValue } from '../../src/cel/index.js';

export const applicableSections = [
  'basic',
  'bindings_ext',
  'comparisons',
  'conversions',
  'fields',
  'fp_math',
  'integer_math',
  'lists',
  'logic',
  'macros',
  'macros2',
  'optionals',
  'parse',
  'plumbing',
  'string',
  'string_ext',
  'timestamps',
];

class Unsupported extends Error {}

function toValue(value: Value | undefined): CelValue {
  const kind = value?.kind;
  switch (kind?.case) {
    case 'nullValue':
      return null;
    case 'boolValue':
    case 'stringValue':
    case 'doubleValue':
      return kind.value;
    case 'int64Value':
      return kind.value;
    case 'uint64Value':
      return celUint(kind.value);
    case 'bytesValue':
      return kind.value;
    case 'listValue':
      return kind.value.values.map(toValue) as unknown as CelValue;
    case 'mapValue': {
      const map = new Map<unknown, CelValue>();
      for (const entry of kind.value.entries) {
        const key = toValue(entry.key);
        map.set(isCelUint(key) ? key : key, toValue(entry.value));
      }
      return map as unknown as CelValue;
    }
    default:
      throw new Unsupported(`value kind ${kind?.case ?? 'none'}`);
  }
}

/** Strict equality of an actual value with an expected one (types must agree, NaN equals NaN). */
function same(actual: unknown, expected: unknown): boolean {
  if (expected === null || typeof expected !== 'object' || expected instanceof Uint8Array) {
    if (expected instanceof Uint8Array)
      return actual instanceof Uint8Array && Buffer.compare(Buffer.from(actual), Buffer.from(expected)) === 0;
    if (typeof expected === 'number' && Number.isNaN(expected))
      return typeof actual === 'number' && Number.isNaN(actual);
    return actual === expected;
  }
  if (isCelUint(expected)) return isCelUint(actual) && actual.value === expected.value;
  if (Array.isArray(expected)) {
    if (typeof actual !== 'object' || actual === null || !isCelList(actual)) return false;
    const items = [...actual];
    return items.length === expected.length && items.every((item, i) => same(item, expected[i]));
  }
  if (expected instanceof Map) {
    if (typeof actual !== 'object' || actual === null || !isCelMap(actual) || actual.size !== expected.size)
      return false;
    for (const [key, value] of expected) {
      const lookup = isCelUint(key) ? key : key;
      if (!actual.has(lookup as never) || !same(actual.get(lookup as never), value)) return false;
    }
    return true;
  }
  return false;
}

export interface ConformanceOutcome {
  section: string;
  name: string;
  status: 'pass' | 'fail' | 'skip';
  detail?: string;
}

const environments = new Map<string, CelEnvironment>();
function environment(variables: string[]): CelEnvironment {
  const key = variables.sort().join(',');
  let env = environments.get(key);
  if (!env) environments.set(key, (env = new CelEnvironment({ variables, expand: { bindings: true } })));
  return env;
}

function runTest(section: string, test: IncrementalTest): ConformanceOutcome {
  const original = test.original;
  const name = `${section}/${test.name}`;
  const skip = (detail: string): ConformanceOutcome => ({ section, name, status: 'skip', detail });
  if (original.checkOnly || original.container || original.disableMacros)
    return skip('checker, container or macro options');
  if (/TestAllTypes|NestedTestAllTypes|google\.protobuf\.[A-Z]\w*\{/.test(original.expr))
    return skip('protobuf messages');
  const matcher = original.resultMatcher;
  if (matcher.case === 'typedResult' || matcher.case === 'unknown' || matcher.case === 'anyUnknowns')
    return skip(`result matcher ${matcher.case}`);
  let variables: Record<string, CelValue>;
  try {
    variables = Object.fromEntries(
      Object.entries(original.bindings).map(([key, bound]) => {
        if (bound.kind.case !== 'value') throw new Unsupported('non-value binding');
        return [key, toValue(bound.kind.value)];
      }),
    );
  } catch (error) {
    if (error instanceof Unsupported) return skip(error.message);
    throw error;
  }
  let expected: CelValue | undefined;
  if (matcher.case === 'value' || matcher.case === undefined) {
    try {
      expected = matcher.case === 'value' ? toValue(matcher.value) : true;
    } catch (error) {
      if (error instanceof Unsupported) return skip(error.message);
      throw error;
    }
  }
  const names = [...new Set([...original.typeEnv.map((decl) => decl.name), ...Object.keys(variables)])];
  let outcome;
  try {
    outcome = environment(names).compile(original.expr).evaluate(variables);
  } catch (error) {
    if (!(error instanceof CelCompileError)) throw error;
    const expectsError = matcher.case === 'evalError' || matcher.case === 'anyEvalErrors';
    return { section, name, status: expectsError ? 'pass' : 'fail', detail: error.message };
  }
  if (matcher.case === 'evalError' || matcher.case === 'anyEvalErrors') {
    return {
      section,
      name,
      status: outcome.kind === 'error' ? 'pass' : 'fail',
      detail: `got ${outcome.kind}`,
    };
  }
  if (outcome.kind !== 'value')
    return { section, name, status: 'fail', detail: 'message' in outcome ? outcome.message : outcome.reason };
  if (outcome.value instanceof OpaqueValue) return { section, name, status: 'fail', detail: 'opaque value' };
  return { section, name, status: same(outcome.value, expected) ? 'pass' : 'fail', detail: 'value differs' };
}

/** Every applicable conformance test with its outcome, in suite order. */
export function runConformance(): ConformanceOutcome[] {
  const out: ConformanceOutcome[] = [];
  const visit = (section: string, suite: IncrementalTestSuite) => {
    for (const test of suite.tests) out.push(runTest(section, test));
    for (const child of suite.suites) visit(section, child);
  };
  for (const suite of getConformanceSuite().suites)
    if (applicableSections.includes(suite.name)) visit(suite.name, suite);
  return out;
}
