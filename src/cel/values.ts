/**
 * How JSON documents (Kubernetes objects, parameters) and Kubernetes' own CEL types look to
 * @bufbuild/cel. JSON maps and lists are wrapped, not copied: an expression that reads three fields
 * of a Pod converts three values. Integral JSON numbers are CEL `int`, as in the API server, whose
 * unstructured objects hold int64 for them.
 */
import { celList, celMap, isCelList, isCelMap, isCelUint, type CelValue } from '@bufbuild/cel';

const MAP = Symbol.for('@bufbuild/cel/map');
const LIST = Symbol.for('@bufbuild/cel/list');
const REFLECT = Symbol.for('reflect unsafe local');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON object seen as a CEL `map(string, dyn)`. */
class JsonMap implements ReadonlyMap<string, CelValue> {
  readonly [MAP] = {};
  constructor(readonly object: Record<string, unknown>) {}
  get size(): number {
    return Object.keys(this.object).length;
  }
  get(key: unknown): CelValue | undefined {
    if (typeof key !== 'string' || !Object.hasOwn(this.object, key)) return undefined;
    const value = this.object[key];
    return value === undefined ? undefined : toCel(value);
  }
  has(key: unknown): boolean {
    return typeof key === 'string' && Object.hasOwn(this.object, key) && this.object[key] !== undefined;
  }
  forEach(callback: (value: CelValue, key: string, map: ReadonlyMap<string, CelValue>) => void): void {
    for (const [key, value] of this.entries()) callback(value, key, this);
  }
  *entries(): MapIterator<[string, CelValue]> {
    for (const key of Object.keys(this.object)) {
      const value = this.object[key];
      if (value !== undefined) yield [key, toCel(value)];
    }
  }
  *keys(): MapIterator<string> {
    for (const key of Object.keys(this.object)) if (this.object[key] !== undefined) yield key;
  }
  *values(): MapIterator<CelValue> {
    for (const [, value] of this.entries()) yield value;
  }
  [Symbol.iterator](): MapIterator<[string, CelValue]> {
    return this.entries();
  }
}

/** A JSON array seen as a CEL `list(dyn)`. */
class JsonList implements Iterable<CelValue> {
  readonly [LIST] = {};
  constructor(readonly array: readonly unknown[]) {}
  get size(): number {
    return this.array.length;
  }
  get(index: number): CelValue | undefined {
    if (index < 0 || index >= this.array.length) return undefined;
    return toCel(this.array[index]);
  }
  *values(): IterableIterator<CelValue> {
    for (const value of this.array) yield toCel(value);
  }
  [Symbol.iterator](): IterableIterator<CelValue> {
    return this.values();
  }
}

/**
 * A value of a type @bufbuild/cel does not know (Quantity, IP, URL, optional ...). It poses as a
 * protobuf message of its type name so the library's overload resolution and `type()` see the
 * right type; every operation on it is a function of the library that made it.
 */
export abstract class OpaqueValue {
  readonly [REFLECT] = {};
  abstract readonly desc: OpaqueDesc;
  get message(): { $typeName: string } {
    return { $typeName: this.desc.typeName };
  }
  /** CEL equality with another value of the same type. */
  abstract equals(other: OpaqueValue): boolean;
}

export interface OpaqueDesc {
  kind: 'message';
  typeName: string;
  fields: [];
}

/** The descriptor every value of one opaque type shares. */
export function opaqueDesc(typeName: string): OpaqueDesc {
  return { kind: 'message', typeName, fields: [] };
}

const NONE_DESC = opaqueDesc('optional_type');

/** CEL's `optional_type`: a value that may be absent (`object.?spec.?replicas`). */
export class Optional extends OpaqueValue {
  readonly desc = NONE_DESC;
  private constructor(readonly value: CelValue | undefined) {
    super();
  }
  static of(value: CelValue): Optional {
    return new Optional(value);
  }
  static readonly none = new Optional(undefined);
  get present(): boolean {
    return this.value !== undefined;
  }
  equals(other: OpaqueValue): boolean {
    if (!(other instanceof Optional)) return false;
    if (!this.present || !other.present) return this.present === other.present;
    return celEquals(this.value!, other.value!);
  }
}

let equalsImpl: (a: CelValue, b: CelValue) => boolean = (a, b) => a === b;

/** Installs the library's equality (read from its `_==_` overload once the environment exists). */
export function setBaseEquals(equals: (a: CelValue, b: CelValue) => boolean): void {
  equalsImpl = equals;
}

/** CEL equality, opaque values included. */
export function celEquals(a: CelValue, b: CelValue): boolean {
  if (a instanceof OpaqueValue || b instanceof OpaqueValue) {
    return a instanceof OpaqueValue && b instanceof OpaqueValue && a.equals(b);
  }
  return equalsImpl(a, b);
}

/** A JavaScript value (parsed JSON or YAML, or a CEL value already) as a CEL value. */
export function toCel(value: unknown): CelValue {
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) && Number.isSafeInteger(value) ? BigInt(value) : value;
    case 'string':
    case 'boolean':
    case 'bigint':
      return value;
    case 'undefined':
      return null;
    case 'object':
      if (value === null) return null;
      if (Array.isArray(value)) return new JsonList(value) as unknown as CelValue;
      if (isCelMap(value) || isCelList(value) || isCelUint(value) || value instanceof OpaqueValue)
        return value as CelValue;
      if (value instanceof Uint8Array) return value;
      if (value instanceof Map) return celMap(value as Map<string, never>);
      return new JsonMap(value as Record<string, unknown>) as unknown as CelValue;
    default:
      throw new Error(`not a JSON value: ${typeof value}`);
  }
}

/** A CEL value as plain JSON (for messages, annotations and reports). */
export function fromCel(value: CelValue | undefined): Json | undefined {
  if (value === undefined || value === null) return null;
  switch (typeof value) {
    case 'bigint':
      return Number(value);
    case 'number':
    case 'string':
    case 'boolean':
      return value;
  }
  if (value instanceof JsonMap) return value.object as Json;
  if (value instanceof JsonList) return value.array as Json;
  if (isCelUint(value)) return Number(value.value);
  if (isCelList(value)) return [...value].map((item) => fromCel(item) ?? null);
  if (isCelMap(value)) {
    const out: Record<string, Json> = {};
    for (const [key, item] of value.entries()) out[String(key)] = fromCel(item) ?? null;
    return out;
  }
  if (value instanceof Optional) return value.present ? fromCel(value.value) : null;
  if (value instanceof OpaqueValue) return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return String(value);
}

/** A list of CEL values as a CEL list. */
export function listOf(values: readonly CelValue[]): CelValue {
  return celList(values);
}

/** The `type()` name of a value, for error messages. */
export function typeName(value: CelValue): string {
  if (value === null) return 'null_type';
  if (value instanceof OpaqueValue) return value.desc.typeName;
  switch (typeof value) {
    case 'bigint':
      return 'int';
    case 'number':
      return 'double';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
  }
  if (isCelUint(value)) return 'uint';
  if (isCelList(value)) return 'list';
  if (isCelMap(value)) return 'map';
  if (value instanceof Uint8Array) return 'bytes';
  return 'object';
}
