/**
 * CEL's optional types (`optional.of`, `optional.none`, `optional.ofNonZeroValue`, `hasValue`,
 * `value`, `or`, `orValue`) and the functions the optional syntax is rewritten to (`a.?b`, `a[?k]`,
 * `[?x]`, `{?k: v}`; see ../syntax.ts).
 */
import { celList, celMap, isCelList, isCelMap, isCelUint, type CelValue } from '@bufbuild/cel';
import { Optional, OpaqueValue } from '../values.js';
import { asList, fn, noOverload, typedMethod, type CelLibrary } from './define.js';

const method = typedMethod('optional_type');

function asOptional(name: string, value: CelValue): Optional {
  if (!(value instanceof Optional)) throw noOverload(name, value);
  return value;
}

function isZero(value: CelValue): boolean {
  if (value === null || value === false || value === '' || value === 0 || value === 0n) return true;
  if (isCelUint(value)) return value.value === 0n;
  if (value instanceof Uint8Array) return value.length === 0;
  if (typeof value === 'object' && (isCelList(value) || isCelMap(value))) return value.size === 0;
  return false;
}

function select(value: CelValue, field: string, optional: boolean): unknown {
  if (typeof value === 'object' && value !== null && isCelMap(value)) {
    const found = value.get(field);
    if (found !== undefined) return optional ? Optional.of(found) : found;
    if (optional) return Optional.none;
    throw new Error(`no such key: ${field}`);
  }
  throw new Error(
    `type '${value instanceof OpaqueValue ? value.desc.typeName : typeof value}' does not support field selection`,
  );
}

function index(value: CelValue, key: CelValue, optional: boolean): unknown {
  if (typeof value === 'object' && value !== null && isCelMap(value)) {
    const found =
      typeof key === 'number' ||
      typeof key === 'bigint' ||
      typeof key === 'string' ||
      typeof key === 'boolean' ||
      isCelUint(key)
        ? value.get(key)
        : undefined;
    if (found !== undefined) return optional ? Optional.of(found) : found;
    if (optional) return Optional.none;
    throw new Error(`no such key: ${String(key)}`);
  }
  if (typeof value === 'object' && value !== null && isCelList(value)) {
    let i: number;
    if (typeof key === 'bigint') i = Number(key);
    else if (isCelUint(key)) i = Number(key.value);
    else if (typeof key === 'number' && Number.isInteger(key)) i = key;
    else throw noOverload('_[_]', value, key);
    const found = value.get(i);
    if (found !== undefined) return optional ? Optional.of(found) : found;
    if (optional) return Optional.none;
    throw new Error(`index out of bounds: ${i}`);
  }
  throw noOverload('_[_]', value, key);
}

export const optionalLibrary: CelLibrary = {
  name: 'optional',
  funcs: [
    fn('optional.of', 1, (value) => Optional.of(value)),
    fn('optional.none', 0, () => Optional.none),
    fn('optional.ofNonZeroValue', 1, (value) => (isZero(value) ? Optional.none : Optional.of(value))),
    method('hasValue', 0, (self) => asOptional('hasValue', self).present),
    method('value', 0, (self) => {
      const optional = asOptional('value', self);
      if (!optional.present) throw new Error('optional.none() dereference');
      return optional.value;
    }),
    method('orValue', 1, (self, fallback) => {
      const optional = asOptional('orValue', self);
      return optional.present ? optional.value : fallback;
    }),
    method('or', 1, (self, other) => {
      const optional = asOptional('or', self);
      return optional.present ? optional : asOptional('or', other);
    }),
    fn('@opt_select', 2, (value, field) => {
      if (value instanceof Optional)
        return value.present ? select(value.value!, String(field), true) : Optional.none;
      return select(value, String(field), true);
    }),
    fn('@opt_index', 2, (value, key) => {
      if (value instanceof Optional) return value.present ? index(value.value!, key, true) : Optional.none;
      return index(value, key, true);
    }),
    fn('@opt_chain_select', 2, (value, field) => {
      if (value instanceof Optional)
        return value.present ? select(value.value!, String(field), true) : Optional.none;
      return select(value, String(field), false);
    }),
    fn('@opt_chain_has', 2, (value, field) => {
      const target = value instanceof Optional ? value.value : value;
      if (target === undefined) return false;
      if (typeof target === 'object' && target !== null && isCelMap(target)) return target.has(String(field));
      throw new Error(`type '${typeof target}' does not support field selection`);
    }),
    fn('@opt_chain_index', 2, (value, key) => {
      if (value instanceof Optional) return value.present ? index(value.value!, key, true) : Optional.none;
      return index(value, key, false);
    }),
    fn('@opt_list', 2, (values, flags) => {
      const list = [...asList('list', values)];
      const optional = [...asList('list', flags)];
      const out: CelValue[] = [];
      list.forEach((value, i) => {
        if (optional[i] !== true) out.push(value);
        else if (asOptional('optional list element', value).present)
          out.push((value as unknown as Optional).value!);
      });
      return celList(out);
    }),
    fn('@opt_map', 3, (keys, values, flags) => {
      const k = [...asList('map', keys)];
      const v = [...asList('map', values)];
      const optional = [...asList('map', flags)];
      const out = new Map<string | bigint | boolean, CelValue>();
      k.forEach((key, i) => {
        const mapKey = isCelUint(key) ? key.value : key;
        if (typeof mapKey !== 'string' && typeof mapKey !== 'bigint' && typeof mapKey !== 'boolean')
          throw new Error(`unsupported key type: ${typeof mapKey}`);
        if (out.has(mapKey)) throw new Error(`Failed with repeated key: ${String(mapKey)}`);
        const value = v[i]!;
        if (optional[i] !== true) out.set(mapKey, value);
        else if (asOptional('optional map entry', value).present)
          out.set(mapKey, (value as unknown as Optional).value!);
      });
      return celMap(out as Map<string, never>);
    }),
  ],
};
