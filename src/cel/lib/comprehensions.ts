/**
 * The runtime half of two-variable comprehensions (`all(i, v, p)`, `exists`, `existsOne`,
 * `transformList`, `transformMap`, `transformMapEntry`; cel-go `ext.TwoVarComprehensions`, in
 * Kubernetes since 1.32): ../syntax.ts expands them into folds over `@entries(range)`, the
 * `[index or key, value]` pairs of a list or map, which these functions build and collect.
 */
import { celList, celMap, isCelList, isCelMap, isCelUint, type CelValue } from '@bufbuild/cel';
import { asMap, fn, noOverload, type CelLibrary } from './define.js';

type Key = string | bigint | boolean;

function mapKey(value: CelValue): Key {
  const key = isCelUint(value) ? value.value : value;
  if (typeof key === 'string' || typeof key === 'bigint' || typeof key === 'boolean') return key;
  throw new Error(`unsupported map key type: ${typeof key}`);
}

function copy(map: CelValue): Map<Key, CelValue> {
  const out = new Map<Key, CelValue>();
  for (const [key, value] of asMap('transformMap', map).entries()) out.set(mapKey(key as CelValue), value);
  return out;
}

export const comprehensionsLibrary: CelLibrary = {
  name: 'comprehensions',
  funcs: [
    fn('@entries', 1, (range) => {
      if (typeof range === 'object' && range !== null && isCelList(range))
        return celList([...range].map((value, i) => celList([BigInt(i), value])));
      if (typeof range === 'object' && range !== null && isCelMap(range))
        return celList([...range.entries()].map(([key, value]) => celList([key as CelValue, value])));
      throw noOverload('comprehension', range);
    }),
    fn('@map_insert', 0, () => celMap(new Map())),
    fn('@map_insert', 3, (map, key, value) => {
      const out = copy(map);
      const k = mapKey(key);
      if (out.has(k)) throw new Error(`insert failed: key ${String(k)} already exists`);
      out.set(k, value);
      return celMap(out as Map<string, never>);
    }),
    fn('@map_merge', 2, (map, entries) => {
      const out = copy(map);
      for (const [key, value] of asMap('transformMapEntry', entries).entries()) {
        const k = mapKey(key as CelValue);
        if (out.has(k)) throw new Error(`insert failed: key ${String(k)} already exists`);
        out.set(k, value);
      }
      return celMap(out as Map<string, never>);
    }),
    // Identity; the environment charges one unit per call (one per comprehension iteration).
    fn('@iterate', 1, (value) => value),
  ],
};
