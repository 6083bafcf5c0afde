/** CEL's sets extension (`sets.contains`, `sets.equivalent`, `sets.intersects`), in Kubernetes since 1.29. */
import type { CelValue } from '@bufbuild/cel';
import { celEquals } from '../values.js';
import { asList, fn, type CelLibrary } from './define.js';

function contains(list: CelValue[], sub: CelValue[]): boolean {
  return sub.every((item) => list.some((value) => celEquals(value, item)));
}

export const setsLibrary: CelLibrary = {
  name: 'sets',
  funcs: [
    fn('sets.contains', 2, (a, b) =>
      contains([...asList('sets.contains', a)], [...asList('sets.contains', b)]),
    ),
    fn('sets.equivalent', 2, (a, b) => {
      const x = [...asList('sets.equivalent', a)];
      const y = [...asList('sets.equivalent', b)];
      return contains(x, y) && contains(y, x);
    }),
    fn('sets.intersects', 2, (a, b) => {
      const y = [...asList('sets.intersects', b)];
      return [...asList('sets.intersects', a)].some((value) => y.some((item) => celEquals(value, item)));
    }),
  ],
};
