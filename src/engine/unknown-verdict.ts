/**
 * Whether a schema's verdict on a Terraform value can still change once the values unknown until
 * apply are known. Reading an unknown value is not enough for an `unknown` finding: a private EKS
 * endpoint passes `endpoint_public_access = false OR public_access_cidrs restricted` whatever the
 * CIDRs turn out to be. The schema is taken apart where its parts must all hold (properties, items,
 * `required`, `allOf`) or one of them must (`anyOf`); a part that reads no unknown value keeps its
 * verdict, and the rest of the schema's keywords are judged together by what they read.
 */

import { readDependsOn, schemaReadPatterns, type ReadPattern } from './schema-paths.js';

/** Whether `data` satisfies a subschema; undefined when that cannot be told alone (a `$ref` into the whole). */
export type SubschemaTest = (schema: unknown, data: unknown) => boolean | undefined;

/** Keywords that judge properties or items together with `properties`/`items`, or with the applicators. */
const propertiesCoupled = ['additionalProperties', 'unevaluatedProperties'];
const itemsCoupled = ['prefixItems', 'additionalItems', 'unevaluatedItems'];
const wholeCoupled = ['unevaluatedProperties', 'unevaluatedItems', '$ref', '$dynamicRef', '$recursiveRef'];

interface Parts {
  /** The keywords judged together (undefined when none are left). */
  rest: Record<string, unknown> | undefined;
  /** One `{ required: [name] }` per required name. */
  required: Array<{ name: string; schema: Record<string, unknown> }>;
  properties: Array<[string, unknown]>;
  items: unknown;
  allOf: unknown[];
  anyOf: unknown[];
}

const partsCache = new WeakMap<object, Parts | null>();

/** The schema taken apart (parts keep their identity, so compiled subschemas are reused), or null. */
function partsOf(schema: Record<string, unknown>): Parts | null {
  let parts = partsCache.get(schema);
  if (parts !== undefined) return parts;
  if (wholeCoupled.some((key) => key in schema)) parts = null;
  else {
    const rest: Record<string, unknown> = { ...schema };
    parts = { rest: undefined, required: [], properties: [], items: undefined, allOf: [], anyOf: [] };
    if (Array.isArray(schema.required)) {
      parts.required = schema.required.map((name) => ({
        name: String(name),
        schema: { required: [name] },
      }));
      delete rest.required;
    }
    const properties = schema.properties;
    if (
      properties &&
      typeof properties === 'object' &&
      !Array.isArray(properties) &&
      !propertiesCoupled.some((key) => key in schema)
    ) {
      parts.properties = Object.entries(properties);
      delete rest.properties;
    }
    if (
      schema.items !== undefined &&
      !Array.isArray(schema.items) &&
      !itemsCoupled.some((key) => key in schema)
    ) {
      parts.items = schema.items;
      delete rest.items;
    }
    for (const key of ['allOf', 'anyOf'] as const) {
      if (Array.isArray(schema[key])) {
        parts[key] = schema[key] as unknown[];
        delete rest[key];
      }
    }
    if (Object.keys(rest).length > 0) parts.rest = rest;
  }
  partsCache.set(schema, parts);
  return parts;
}

const readsCache = new WeakMap<object, ReadPattern[]>();
function readsOf(schema: unknown): ReadPattern[] {
  if (schema === null || typeof schema !== 'object') return schemaReadPatterns(schema);
  let reads = readsCache.get(schema);
  if (!reads) readsCache.set(schema, (reads = schemaReadPatterns(schema)));
  return reads;
}

/**
 * Every subschema `passes` and `fails` may validate on its own, the schema itself included: a
 * build that writes validators ahead of time compiles these too, or a verdict that reads unknown
 * values could not be settled without ajv.
 */
export function verdictParts(schema: unknown, out: Set<object> = new Set()): Set<object> {
  if (!isObject(schema) || out.has(schema)) return out;
  out.add(schema);
  const parts = partsOf(schema);
  if (!parts) return out;
  if (parts.rest) out.add(parts.rest);
  for (const { schema: required } of parts.required) out.add(required);
  for (const [, sub] of parts.properties) verdictParts(sub, out);
  if (parts.items !== undefined) verdictParts(parts.items, out);
  for (const sub of [...parts.allOf, ...parts.anyOf]) verdictParts(sub, out);
  return out;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Judges verdicts of one schema against the unknown places of one instance (token lists). */
export class UnknownVerdict {
  constructor(
    private readonly unknowns: readonly string[][],
    private readonly validates: SubschemaTest,
  ) {}

  /** True when what `schema` reads at `prefix` includes an unknown value. */
  private depends(schema: unknown, prefix: readonly string[]): boolean {
    for (const read of readsOf(schema)) {
      const place = { tokens: prefix.length ? [...prefix, ...read.tokens] : read.tokens, deep: read.deep };
      for (const tokens of this.unknowns) if (readDependsOn(place, tokens)) return true;
    }
    return false;
  }

  /** True when no unknown lies inside the array at `prefix` beyond its `length` known items. */
  private noItemBeyond(prefix: readonly string[], length: number): boolean {
    return !this.unknowns.some((tokens) => {
      if (tokens.length <= prefix.length) return false;
      for (let i = 0; i < prefix.length; i += 1) if (tokens[i] !== prefix[i]) return false;
      const index = tokens[prefix.length]!;
      return !/^(?:0|[1-9][0-9]*)$/.test(index) || Number(index) >= length;
    });
  }

  /** True when `data` satisfies `schema` whatever the unknown values turn out to be. */
  passes(schema: unknown, data: unknown, prefix: readonly string[] = []): boolean {
    if (!this.depends(schema, prefix)) return this.validates(schema, data) === true;
    if (data === undefined || !isObject(schema)) return false;
    const parts = partsOf(schema);
    if (!parts) return false;
    if (parts.rest && (this.depends(parts.rest, prefix) || this.validates(parts.rest, data) !== true))
      return false;
    for (const { schema: required } of parts.required)
      if (this.depends(required, prefix) || this.validates(required, data) !== true) return false;
    for (const [name, sub] of parts.properties) {
      const place = [...prefix, name];
      if (!isObject(data)) {
        if (this.depends(sub, place)) return false;
      } else if (data[name] === undefined) {
        // Absent, the property passes; unless it is absent because it is unknown.
        if (this.depends(sub, place)) return false;
      } else if (!this.passes(sub, data[name], place)) return false;
    }
    if (parts.items !== undefined) {
      if (Array.isArray(data)) {
        for (let i = 0; i < data.length; i += 1)
          if (!this.passes(parts.items, data[i], [...prefix, String(i)])) return false;
        if (!this.noItemBeyond(prefix, data.length)) return false;
      } else if (this.depends({ items: parts.items }, prefix)) return false;
    }
    for (const sub of parts.allOf) if (!this.passes(sub, data, prefix)) return false;
    if (parts.anyOf.length > 0 && !parts.anyOf.some((branch) => this.passes(branch, data, prefix)))
      return false;
    return true;
  }

  /** True when `data` fails `schema` whatever the unknown values turn out to be. */
  fails(schema: unknown, data: unknown, prefix: readonly string[] = []): boolean {
    if (!this.depends(schema, prefix)) return this.validates(schema, data) === false;
    if (data === undefined || !isObject(schema)) return false;
    const parts = partsOf(schema);
    if (!parts) return false;
    // One part that fails for good is enough.
    if (parts.rest && !this.depends(parts.rest, prefix) && this.validates(parts.rest, data) === false)
      return true;
    for (const { schema: required } of parts.required)
      if (!this.depends(required, prefix) && this.validates(required, data) === false) return true;
    if (isObject(data))
      for (const [name, sub] of parts.properties)
        if (data[name] !== undefined && this.fails(sub, data[name], [...prefix, name])) return true;
    if (parts.items !== undefined && Array.isArray(data))
      for (let i = 0; i < data.length; i += 1)
        if (this.fails(parts.items, data[i], [...prefix, String(i)])) return true;
    for (const sub of parts.allOf) if (this.fails(sub, data, prefix)) return true;
    if (parts.anyOf.length > 0 && parts.anyOf.every((branch) => this.fails(branch, data, prefix)))
      return true;
    return false;
  }
}
