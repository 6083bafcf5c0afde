/** Ordering of CEL values for the list functions (sort, min, max, isSorted). */
import { isCelUint, type CelValue } from '@bufbuild/cel';
import { noOverload } from './define.js';

interface TimeLike {
  message: { $typeName: string; seconds: bigint; nanos: number };
}

function timeOf(value: CelValue): { type: string; nanos: bigint } | undefined {
  const message = (value as unknown as Partial<TimeLike>)?.message;
  if (
    message &&
    (message.$typeName === 'google.protobuf.Timestamp' || message.$typeName === 'google.protobuf.Duration')
  )
    return { type: message.$typeName, nanos: message.seconds * 1_000_000_000n + BigInt(message.nanos) };
  return undefined;
}

function numeric(value: CelValue): number | bigint | undefined {
  if (typeof value === 'bigint' || typeof value === 'number') return value;
  if (isCelUint(value)) return value.value;
  return undefined;
}

/** -1, 0 or 1; throws for values that have no order between them. */
export function compareValues(name: string, a: CelValue, b: CelValue): number {
  const x = numeric(a);
  const y = numeric(b);
  if (x !== undefined && y !== undefined) {
    if (typeof x === 'number' || typeof y === 'number') {
      const fx = Number(x);
      const fy = Number(y);
      return fx < fy ? -1 : fx > fy ? 1 : 0;
    }
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b);
  const ta = timeOf(a);
  const tb = timeOf(b);
  if (ta && tb && ta.type === tb.type) return ta.nanos < tb.nanos ? -1 : ta.nanos > tb.nanos ? 1 : 0;
  throw noOverload(name, a, b);
}
