import { escapePointerToken } from '../pointer.js';
import { globMatcher } from '../keywords/glob.js';

/** A yes/no answer to "does `data` satisfy the schema". */
export type SchemaPredicate = (data: unknown) => boolean;

const isObject = (data: unknown): data is Record<string, unknown> =>
  data !== null && typeof data === 'object' && !Array.isArray(data);

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/** Keywords that never change a verdict. */
const annotations = new Set(['title', 'description', '$comment']);

const always: SchemaPredicate = () => true;
const never: SchemaPredicate = () => false;

/**
 * The verdict of a schema written in the subset rules use most (`required`, `properties`, `not`,
 * `anyOf`, `allOf`, a scalar `const`, `glob`), as plain code: ajv's validate answers the same but
 * builds error objects and keyword contexts on every call, even for a `not` that holds. Undefined
 * for any other schema; ajv then answers alone. Each keyword reads the data exactly as ajv's
 * generated code does (`data.name === undefined` for a missing property, objects are non-null
 * non-arrays, `glob` applies to strings).
 */
export function schemaPredicate(schema: unknown): SchemaPredicate | undefined {
  if (schema === true) return always;
  if (schema === false) return never;
  if (!isObject(schema)) return undefined;
  const tests: SchemaPredicate[] = [];
  for (const [keyword, value] of Object.entries(schema)) {
    const test = annotations.has(keyword) ? always : keywordPredicate(keyword, value);
    if (!test) return undefined;
    if (test !== always) tests.push(test);
  }
  return allOf(tests);
}

function allOf(tests: SchemaPredicate[]): SchemaPredicate {
  if (tests.length === 0) return always;
  if (tests.length === 1) return tests[0]!;
  if (tests.length === 2) {
    const [a, b] = tests as [SchemaPredicate, SchemaPredicate];
    return (data) => a(data) && b(data);
  }
  return (data) => {
    for (const test of tests) if (!test(data)) return false;
    return true;
  };
}

function subschemas(value: unknown): SchemaPredicate[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const tests: SchemaPredicate[] = [];
  for (const schema of value) {
    const test = schemaPredicate(schema);
    if (!test) return undefined;
    tests.push(test);
  }
  return tests;
}

function keywordPredicate(keyword: string, value: unknown): SchemaPredicate | undefined {
  switch (keyword) {
    case 'required': {
      if (!isStringList(value)) return undefined;
      const names = [...value];
      if (names.length === 1) {
        const name = names[0]!;
        return (data) => !isObject(data) || data[name] !== undefined;
      }
      return (data) => {
        if (!isObject(data)) return true;
        for (const name of names) if (data[name] === undefined) return false;
        return true;
      };
    }
    case 'properties': {
      if (!isObject(value)) return undefined;
      const entries: Array<[string, SchemaPredicate]> = [];
      for (const [name, schema] of Object.entries(value)) {
        if (name === '__proto__') continue; // ajv skips it too
        const test = schemaPredicate(schema);
        if (!test) return undefined;
        if (test !== always) entries.push([name, test]);
      }
      if (entries.length === 1) {
        const [name, test] = entries[0]!;
        return (data) => {
          if (!isObject(data)) return true;
          const property = data[name];
          return property === undefined || test(property);
        };
      }
      return (data) => {
        if (!isObject(data)) return true;
        for (const [name, test] of entries) {
          const property = data[name];
          if (property !== undefined && !test(property)) return false;
        }
        return true;
      };
    }
    case 'not': {
      const test = schemaPredicate(value);
      return test && ((data) => !test(data));
    }
    case 'anyOf': {
      const tests = subschemas(value);
      return (
        tests &&
        ((data) => {
          for (const test of tests) if (test(data)) return true;
          return false;
        })
      );
    }
    case 'allOf': {
      const tests = subschemas(value);
      return tests && allOf(tests);
    }
    case 'const': {
      // Scalars only: ajv compares with deep equality, which for these is `===`.
      if (
        typeof value === 'string' ||
        typeof value === 'boolean' ||
        value === null ||
        (typeof value === 'number' && Number.isFinite(value))
      )
        return (data) => data === value;
      return undefined;
    }
    case 'glob': {
      if (typeof value !== 'string' && !isStringList(value)) return undefined;
      const matches = globMatcher(value);
      return (data) => typeof data !== 'string' || matches(data);
    }
    default:
      return undefined;
  }
}

/** Where a schema fails: the pointer the violation is reported at, or undefined when the data passes. */
export type SchemaFailure = (data: unknown) => string | undefined;

const passing: SchemaFailure = () => undefined;

/**
 * For a schema of the predicate subset without `anyOf`/`allOf`: the place ajv's first error
 * names (its missing property for `required`), found without ajv. Keywords are tried in ajv's
 * order (`const`, `not` and `glob` fail at the instance itself, before `required`, then
 * `properties` in schema order), and every place is a string made once, at compile time.
 */
export function schemaFailure(schema: unknown, at = ''): SchemaFailure | undefined {
  if (schema === true) return passing;
  if (schema === false) return () => at;
  if (!isObject(schema)) return undefined;
  const here: SchemaPredicate[] = [];
  let required: Array<[string, string]> = [];
  const properties: Array<[string, SchemaFailure]> = [];
  for (const [keyword, value] of Object.entries(schema)) {
    if (annotations.has(keyword)) continue;
    switch (keyword) {
      case 'const':
      case 'not':
      case 'glob': {
        const test = keywordPredicate(keyword, value);
        if (!test) return undefined;
        here.push(test);
        break;
      }
      case 'required':
        if (!isStringList(value)) return undefined;
        required = value.map((name) => [name, `${at}/${escapePointerToken(name)}`]);
        break;
      case 'properties':
        if (!isObject(value)) return undefined;
        for (const [name, sub] of Object.entries(value)) {
          if (name === '__proto__') continue; // ajv skips it too
          const failure = schemaFailure(sub, `${at}/${escapePointerToken(name)}`);
          if (!failure) return undefined;
          if (failure !== passing) properties.push([name, failure]);
        }
        break;
      default:
        return undefined;
    }
  }
  const holds = allOf(here);
  if (required.length === 0 && properties.length === 0) return (data) => (holds(data) ? undefined : at);
  return (data) => {
    if (!holds(data)) return at;
    if (!isObject(data)) return undefined;
    for (const [name, place] of required) if (data[name] === undefined) return place;
    for (const [name, failure] of properties) {
      const property = data[name];
      if (property !== undefined) {
        const place = failure(property);
        if (place !== undefined) return place;
      }
    }
    return undefined;
  };
}
