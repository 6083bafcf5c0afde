/**
 * Kubernetes' list library (`isSorted`, `sum`, `min`, `max`, `indexOf`, `lastIndexOf`) and CEL's
 * lists extension at version 3 (`lists.range`, `distinct`, `flatten`, `reverse`, `slice`, `sort`,
 * `sortBy`, `first`, `last`), as the API server has them from 1.34.
 */
import { celList, CelScalar, isCelList, isCelUint, listType, type CelValue } from '@bufbuild/cel';
import { celEquals, Optional } from '../values.js';
import { compareValues } from './compare.js';
import { asInt, asList, fn, method, noOverload, type CelLibrary } from './define.js';

const LIST = listType(CelScalar.DYN);

function items(name: string, value: CelValue): CelValue[] {
  return [...asList(name, value)];
}

function extreme(name: string, list: CelValue, sign: 1 | -1): CelValue {
  const values = items(name, list);
  if (values.length === 0) throw new Error(`${name} called on empty list`);
  let best: CelValue = values[0]!;
  for (const value of values.slice(1)) if (compareValues(name, value, best) * sign > 0) best = value;
  return best;
}

function sum(list: CelValue): CelValue {
  const values = items('sum', list);
  if (values.length === 0) return 0n;
  const first = values[0]!;
  if (typeof first === 'bigint') {
    let total = 0n;
    for (const value of values) {
      if (typeof value !== 'bigint') throw noOverload('sum', value);
      total += value;
      if (total > 9223372036854775807n || total < -9223372036854775808n) throw new Error('int overflow');
    }
    return total;
  }
  if (typeof first === 'number') {
    let total = 0;
    for (const value of values) {
      if (typeof value !== 'number') throw noOverload('sum', value);
      total += value;
    }
    return total;
  }
  if (isCelUint(first)) {
    let total = 0n;
    for (const value of values) {
      if (!isCelUint(value)) throw noOverload('sum', value);
      total += value.value;
    }
    return { ...first, value: total };
  }
  throw noOverload('sum', first);
}

function flatten(values: CelValue[], depth: bigint): CelValue[] {
  const out: CelValue[] = [];
  for (const value of values) {
    if (depth > 0n && typeof value === 'object' && value !== null && isCelList(value))
      out.push(...flatten([...value], depth - 1n));
    else out.push(value);
  }
  return out;
}

function indexIn(values: CelValue[], needle: CelValue, fromEnd: boolean): bigint {
  if (fromEnd) {
    for (let i = values.length - 1; i >= 0; i -= 1) if (celEquals(values[i]!, needle)) return BigInt(i);
  } else {
    for (let i = 0; i < values.length; i += 1) if (celEquals(values[i]!, needle)) return BigInt(i);
  }
  return -1n;
}

function sorted(name: string, values: CelValue[]): CelValue[] {
  return [...values].sort((a, b) => compareValues(name, a, b));
}

export const listsLibrary: CelLibrary = {
  name: 'lists',
  funcs: [
    method(
      'isSorted',
      0,
      (list) => {
        const values = items('isSorted', list);
        for (let i = 1; i < values.length; i += 1)
          if (compareValues('isSorted', values[i - 1]!, values[i]!) > 0) return false;
        return true;
      },
      LIST,
    ),
    method('sum', 0, sum, LIST),
    method('min', 0, (list) => extreme('min', list, -1), LIST),
    method('max', 0, (list) => extreme('max', list, 1), LIST),
    method('indexOf', 1, (list, needle) => indexIn(items('indexOf', list), needle, false), LIST),
    method('lastIndexOf', 1, (list, needle) => indexIn(items('lastIndexOf', list), needle, true), LIST),
    fn('lists.range', 1, (count) => {
      const n = asInt('lists.range', count);
      const out: bigint[] = [];
      for (let i = 0n; i < n; i += 1n) out.push(i);
      return celList(out);
    }),
    method(
      'distinct',
      0,
      (list) => {
        const out: CelValue[] = [];
        for (const value of items('distinct', list))
          if (!out.some((seen) => celEquals(seen, value))) out.push(value);
        return celList(out);
      },
      LIST,
    ),
    method('flatten', 0, (list) => celList(flatten(items('flatten', list), 1n)), LIST),
    method(
      'flatten',
      1,
      (list, depth) => {
        const d = asInt('flatten', depth);
        if (d < 0n) throw new Error('level must be non-negative');
        return celList(flatten(items('flatten', list), d));
      },
      LIST,
    ),
    method('reverse', 0, (list) => celList(items('reverse', list).reverse()), LIST),
    method(
      'slice',
      2,
      (list, start, end) => {
        const values = items('slice', list);
        const s = asInt('slice', start);
        const e = asInt('slice', end);
        if (s < 0n || e < 0n) throw new Error(`cannot slice(${s}, ${e}), negative indexes not supported`);
        if (s > e)
          throw new Error(`cannot slice(${s}, ${e}), start index must be less than or equal to end index`);
        if (e > BigInt(values.length))
          throw new Error(`cannot slice(${s}, ${e}), list is length ${values.length}`);
        return celList(values.slice(Number(s), Number(e)));
      },
      LIST,
    ),
    method('sort', 0, (list) => celList(sorted('sort', items('sort', list))), LIST),
    method(
      'first',
      0,
      (list) => {
        const values = items('first', list);
        return values.length ? Optional.of(values[0]!) : Optional.none;
      },
      LIST,
    ),
    method(
      'last',
      0,
      (list) => {
        const values = items('last', list);
        return values.length ? Optional.of(values[values.length - 1]!) : Optional.none;
      },
      LIST,
    ),
    // sortBy's expansion: [[element, key], ...] sorted by key.
    fn('@sort_by', 1, (pairs) => {
      const entries = items('sortBy', pairs).map(
        (pair) => [...asList('sortBy', pair)] as [CelValue, CelValue],
      );
      entries.sort((a, b) => compareValues('sortBy', a[1], b[1]));
      return celList(entries.map((entry) => entry[0]));
    }),
  ],
};
