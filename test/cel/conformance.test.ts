import { describe, expect, it } from 'vitest';
import { runConformance } from './conformance.js';

/**
 * Conformance tests parapet fails on purpose or by a known limit of @bufbuild/cel, with why.
 * Any other failure, or one of these starting to pass, fails this test.
 */
const knownFailures: Record<string, string> = {
  // Kubernetes compiles against declared variables: an unknown name is a compile error there too.
  'basic/unbound_is_runtime_error': 'names are checked at compile time, as in the API server',
  'parse/as': 'unbound variable a (checked at compile time)',
  'parse/break': 'unbound variable a (checked at compile time)',
  'parse/const': 'unbound variable a (checked at compile time)',
  'parse/continue': 'unbound variable a (checked at compile time)',
  'parse/else': 'unbound variable a (checked at compile time)',
  'parse/for': 'unbound variable a (checked at compile time)',
  'parse/function': 'unbound variable a (checked at compile time)',
  'parse/if': 'unbound variable a (checked at compile time)',
  'parse/import': 'unbound variable a (checked at compile time)',
  'parse/let': 'unbound variable a (checked at compile time)',
  'parse/loop': 'unbound variable a (checked at compile time)',
  'parse/package': 'unbound variable a (checked at compile time)',
  'parse/namespace': 'unbound variable a (checked at compile time)',
  'parse/return': 'unbound variable a (checked at compile time)',
  'parse/var': 'unbound variable a (checked at compile time)',
  'parse/void': 'unbound variable a (checked at compile time)',
  'parse/while': 'unbound variable a (checked at compile time)',
  // The parser of @bufbuild/cel 0.6.1 has no backquoted field names (cel-spec 0.25).
  'fields/field_access_slash': 'backquoted field names',
  'fields/field_access_dash': 'backquoted field names',
  'fields/field_access_dot': 'backquoted field names',
  'fields/has_field_slash': 'backquoted field names',
  'fields/has_field_dash': 'backquoted field names',
  'fields/has_field_dot': 'backquoted field names',
  'fields/map_value_repeat_key_heterogeneous': 'map literal keys 0 and 0u are not detected as repeated',
  'optionals/type': 'optional_type as a type value',
  'optionals/map_optional_select_has': 'has() on a field of an optional map value',
};

describe('cel-spec conformance (applicable sections)', () => {
  it('passes every applicable test but the known failures', () => {
    const outcomes = runConformance();
    const failed = [...new Set(outcomes.filter((o) => o.status === 'fail').map((o) => o.name))].sort();
    const passed = outcomes.filter((o) => o.status === 'pass').length;
    const skipped = outcomes.filter((o) => o.status === 'skip').length;
    console.log(
      `cel-spec conformance: ${passed} passed, ${outcomes.length - passed - skipped} failed (known), ${skipped} skipped (protobuf messages, type checks, unknowns)`,
    );
    expect(failed).toEqual(Object.keys(knownFailures).sort());
  }, 120_000);
});
