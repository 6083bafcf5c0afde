import { escapePointerToken } from '../pointer.js';
import { globMatcher } from '../keywords/glob.js';

/** A yes/no answer to "does `data` satisfy the schema". */
export type SchemaPredicate = (data: unknown) => boolean;

/** Where a schema fails: the pointer the violation is reported at, or undefined when the data passes. */
export type SchemaFailure = (data: unknown) => string | undefined;

const isObject = (data: unknown): data is Record<string, unknown> =>
  data !== null && typeof data === 'object' && !Array.isArray(data);

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

const isScalar = (value: unknown): value is string | boolean | number | null =>
  typeof value === 'string' ||
  typeof value === 'boolean' ||
  value === null ||
  (typeof value === 'number' && Number.isFinite(value));

/** Keywords that never change a verdict. */
const annotations = new Set(['title', 'description', '$comment']);

/** Larger schemas are left to ajv (the built-in policies have at most about 100 nodes; this bounds the code and the recursion). */
const MAX_NODES = 500;

/**
 * Source text of one generated function. Every policy gets functions of its own, as ajv's are:
 * closures shared by all policies saw every policy's property names and shapes at the same load
 * sites (megamorphic), where a function per schema reads its few names at fixed places.
 */
class Source {
  /** The glob matchers the source calls, as `g[i]`. */
  readonly globs: Array<(subject: string) => boolean> = [];
  /** Temporaries `t1`..`tN` in use (`t0` is the data). */
  temps = 0;
  /** Schema nodes read so far. */
  nodes = 0;

  /** Count one more schema node: false once the schema is too large to generate. */
  node(): boolean {
    this.nodes += 1;
    return this.nodes <= MAX_NODES;
  }

  glob(patterns: string | string[]): string {
    this.globs.push(globMatcher(patterns));
    return `g[${this.globs.length - 1}]`;
  }

  /** The temporary holding a property value at `depth` (each depth reuses one: evaluation is sequential). */
  temp(depth: number): string {
    this.temps = Math.max(this.temps, depth);
    return `t${depth}`;
  }

  compile<T>(body: string): T {
    const temps = Array.from({ length: this.temps }, (_, i) => `t${i + 1}`);
    const declare = temps.length ? `let ${temps.join(', ')};` : '';
    // The text is built only from JSON literals of the schema's names and values, and fixed code.
    const make = new Function('g', `'use strict'; return function (t0) { ${declare} ${body} };`) as (
      globs: Source['globs'],
    ) => T;
    return make(this.globs);
  }
}

/** `value` as JavaScript: property names, pointers and scalars from the schema, as JSON literals. */
const literal = (value: string | number | boolean | null): string => JSON.stringify(value);
/** The object test ajv makes: non-null, not an array. */
const objectTest = (v: string): string =>
  `(${v} !== null && typeof ${v} === 'object' && !Array.isArray(${v}))`;
const member = (v: string, name: string): string => `${v}[${literal(name)}]`;

/**
 * The verdict of a schema written in the subset rules use most (`required`, `properties`, `not`,
 * `anyOf`, `allOf`, a scalar `const`, `glob`), as plain code: ajv's validate answers the same but
 * builds error objects and keyword contexts on every call, even for a `not` that holds. Undefined
 * for any other schema; ajv then answers alone. Each keyword reads the data exactly as ajv's
 * generated code does (`data.name === undefined` for a missing property, objects are non-null
 * non-arrays, `glob` applies to strings).
 */
export function schemaPredicate(schema: unknown): SchemaPredicate | undefined {
  const source = new Source();
  const test = predicateSource(schema, 't0', 0, source);
  return test === undefined ? undefined : source.compile<SchemaPredicate>(`return ${test};`);
}

/** A boolean expression over the variable `v` (at nesting `depth`), or undefined outside the subset. */
function predicateSource(schema: unknown, v: string, depth: number, source: Source): string | undefined {
  if (schema === true) return 'true';
  if (schema === false) return 'false';
  if (!isObject(schema) || !source.node()) return undefined;
  const tests: string[] = [];
  for (const [keyword, value] of Object.entries(schema)) {
    if (annotations.has(keyword)) continue;
    const test = keywordSource(keyword, value, v, depth, source);
    if (test === undefined) return undefined;
    if (test !== 'true') tests.push(test);
  }
  return all(tests, '&&');
}

function all(tests: string[], operator: '&&' | '||'): string {
  if (tests.length === 0) return operator === '&&' ? 'true' : 'false';
  return tests.length === 1 ? tests[0]! : `(${tests.join(` ${operator} `)})`;
}

function subschemaSources(value: unknown, v: string, depth: number, source: Source): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const tests: string[] = [];
  for (const schema of value) {
    const test = predicateSource(schema, v, depth, source);
    if (test === undefined) return undefined;
    tests.push(test);
  }
  return tests;
}

function keywordSource(
  keyword: string,
  value: unknown,
  v: string,
  depth: number,
  source: Source,
): string | undefined {
  switch (keyword) {
    case 'required': {
      if (!isStringList(value)) return undefined;
      if (value.length === 0) return 'true';
      return `(!${objectTest(v)} || ${all(
        value.map((name) => `${member(v, name)} !== undefined`),
        '&&',
      )})`;
    }
    case 'properties': {
      if (!isObject(value)) return undefined;
      const t = source.temp(depth + 1);
      const tests: string[] = [];
      for (const [name, schema] of Object.entries(value)) {
        if (name === '__proto__') continue; // ajv skips it too
        const test = predicateSource(schema, t, depth + 1, source);
        if (test === undefined) return undefined;
        if (test !== 'true') tests.push(`((${t} = ${member(v, name)}) === undefined || ${test})`);
      }
      return tests.length === 0 ? 'true' : `(!${objectTest(v)} || ${all(tests, '&&')})`;
    }
    case 'not': {
      const test = predicateSource(value, v, depth, source);
      return test === undefined ? undefined : `!${test}`;
    }
    case 'anyOf': {
      const tests = subschemaSources(value, v, depth, source);
      return tests && all(tests, '||');
    }
    case 'allOf': {
      const tests = subschemaSources(value, v, depth, source);
      return tests && all(tests, '&&');
    }
    case 'const':
      // Scalars only: ajv compares with deep equality, which for these is `===`.
      return isScalar(value) ? `(${v} === ${literal(value)})` : undefined;
    case 'glob':
      if (typeof value !== 'string' && !isStringList(value)) return undefined;
      return `(typeof ${v} !== 'string' || ${source.glob(value)}(${v}))`;
    default:
      return undefined;
  }
}

/**
 * For a schema of the predicate subset without `anyOf`/`allOf`: the place ajv's first error
 * names (its missing property for `required`), found without ajv. Keywords are tried in ajv's
 * order (`const`, `not` and `glob` fail at the instance itself, before `required`, then
 * `properties` in schema order), and every place is a string literal of the generated code.
 */
export function schemaFailure(schema: unknown, at = ''): SchemaFailure | undefined {
  const source = new Source();
  const statements: string[] = [];
  if (!failureSource(schema, 't0', at, 0, source, statements)) return undefined;
  return source.compile<SchemaFailure>(`${statements.join('\n')}\nreturn undefined;`);
}

/** Statements that return the place where `v` fails, appended to `out`; false outside the subset. */
function failureSource(
  schema: unknown,
  v: string,
  at: string,
  depth: number,
  source: Source,
  out: string[],
): boolean {
  if (schema === true) return true;
  if (schema === false) {
    out.push(`return ${literal(at)};`);
    return true;
  }
  if (!isObject(schema) || !source.node()) return false;
  const here: string[] = [];
  let required: string[] = [];
  let properties: Array<[string, unknown]> = [];
  for (const [keyword, value] of Object.entries(schema)) {
    if (annotations.has(keyword)) continue;
    switch (keyword) {
      case 'const':
      case 'not':
      case 'glob': {
        const test = keywordSource(keyword, value, v, depth, source);
        if (test === undefined) return false;
        here.push(test);
        break;
      }
      case 'required':
        if (!isStringList(value)) return false;
        required = value;
        break;
      case 'properties':
        if (!isObject(value)) return false;
        properties = Object.entries(value).filter(([name]) => name !== '__proto__'); // ajv skips it too
        break;
      default:
        return false;
    }
  }
  if (here.length) out.push(`if (!${all(here, '&&')}) return ${literal(at)};`);
  const inner: string[] = [];
  for (const name of required)
    inner.push(
      `if (${member(v, name)} === undefined) return ${literal(`${at}/${escapePointerToken(name)}`)};`,
    );
  const t = source.temp(depth + 1);
  for (const [name, schema] of properties) {
    const body: string[] = [];
    if (!failureSource(schema, t, `${at}/${escapePointerToken(name)}`, depth + 1, source, body)) return false;
    if (body.length) inner.push(`${t} = ${member(v, name)};`, `if (${t} !== undefined) {`, ...body, '}');
  }
  if (inner.length) out.push(`if (${objectTest(v)}) {`, ...inner, '}');
  return true;
}
