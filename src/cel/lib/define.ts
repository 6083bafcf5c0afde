/** Small helpers to declare CEL functions whose operands are checked by the implementation. */
import {
  celFunc,
  celMethod,
  CelScalar,
  objectType,
  isCelList,
  isCelMap,
  type CelFunc,
  type CelList,
  type CelMap,
  type CelType,
  type CelValue,
} from '@bufbuild/cel';
import { typeName } from '../values.js';

const { DYN } = CelScalar;

/** A library: the functions it adds to the environment. */
export interface CelLibrary {
  name: string;
  funcs: CelFunc[];
}

type Impl = (...args: CelValue[]) => unknown;

function dynArgs(count: number): CelType[] {
  return Array.from({ length: count }, () => DYN);
}

/** A global function `name` of `count` dynamic operands. */
export function fn(name: string, count: number, impl: Impl): CelFunc {
  return celFunc(name, dynArgs(count), DYN, impl as never);
}

/** A member function `target.name(...)` of `count` dynamic operands (the target is `this`). */
export function method(
  name: string,
  count: number,
  impl: (self: CelValue, ...args: CelValue[]) => unknown,
  target: CelType = DYN,
): CelFunc {
  return celMethod(name, target, dynArgs(count), DYN, function (this: CelValue, ...args: CelValue[]) {
    return impl(this, ...args);
  } as never);
}

/** The error cel-go reports when no overload takes these operands. */
export function noOverload(name: string, ...values: CelValue[]): Error {
  return new Error(`no such overload: ${name}(${values.map(typeName).join(', ')})`);
}

export function asString(name: string, value: CelValue): string {
  if (typeof value !== 'string') throw noOverload(name, value);
  return value;
}

export function asInt(name: string, value: CelValue): bigint {
  if (typeof value !== 'bigint') throw noOverload(name, value);
  return value;
}

export function asList(name: string, value: CelValue): CelList {
  if (typeof value !== 'object' || value === null || !isCelList(value)) throw noOverload(name, value);
  return value;
}

export function asMap(name: string, value: CelValue): CelMap {
  if (typeof value !== 'object' || value === null || !isCelMap(value)) throw noOverload(name, value);
  return value;
}

/** `method` bound to the opaque type `typeName` (so same-named methods of other types resolve). */
export function typedMethod(typeName: string): typeof method {
  const target = objectType(typeName);
  return (name, count, impl) => method(name, count, impl, target);
}
