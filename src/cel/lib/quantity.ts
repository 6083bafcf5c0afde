/**
 * Kubernetes' quantity library (1.28+): `quantity`, `isQuantity`, `sign`, `isGreaterThan`,
 * `isLessThan`, `compareTo`, `asApproximateFloat`, `asInteger`, `isInteger`, `add`, `sub`.
 * Values are exact rationals (BigInt), as `resource.Quantity` is exact.
 */
import { OpaqueValue, opaqueDesc } from '../values.js';
import { asString, fn, noOverload, typedMethod, type CelLibrary } from './define.js';

const QUANTITY_DESC = opaqueDesc('kubernetes.Quantity');
const method = typedMethod('kubernetes.Quantity');
const FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

export class QuantityValue extends OpaqueValue {
  readonly desc = QUANTITY_DESC;
  readonly num: bigint;
  readonly den: bigint;
  constructor(num: bigint, den: bigint) {
    super();
    const g = gcd(num, den) || 1n;
    this.num = num / g;
    this.den = den / g;
  }
  compare(other: QuantityValue): number {
    const left = this.num * other.den;
    const right = other.num * this.den;
    return left < right ? -1 : left > right ? 1 : 0;
  }
  equals(other: OpaqueValue): boolean {
    return other instanceof QuantityValue && this.compare(other) === 0;
  }
}

const binary: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const decimal: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** Parses a Kubernetes quantity (`500m`, `1.5Gi`, `1e3`); throws the API machinery's error. */
export function parseQuantity(text: string): QuantityValue {
  const match = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(.*)$/.exec(text);
  if (!match) throw new Error(FORMAT_ERROR);
  const [, sign, number, suffix] = match as unknown as [string, string, string, string];
  const [whole, fraction = ''] = number.split('.');
  let num = BigInt(`${whole || '0'}${fraction}` || '0');
  let den = 10n ** BigInt(fraction.length);
  if (Object.hasOwn(binary, suffix)) num *= binary[suffix]!;
  else if (Object.hasOwn(decimal, suffix)) {
    const exp = decimal[suffix]!;
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  } else {
    const exponent = /^[eE]([+-]?[0-9]+)$/.exec(suffix);
    if (!exponent) throw new Error(FORMAT_ERROR);
    const exp = Number(exponent[1]);
    if (Math.abs(exp) > 1000) throw new Error(FORMAT_ERROR);
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  }
  // resource.Quantity keeps nano precision at most, rounding up (away from zero).
  const nanos = num * 1_000_000_000n;
  if (nanos % den !== 0n) {
    num = nanos / den + 1n;
    den = 1_000_000_000n;
  }
  return new QuantityValue(sign === '-' ? -num : num, den);
}

function asQuantity(name: string, value: unknown): QuantityValue {
  if (!(value instanceof QuantityValue)) throw noOverload(name, value as never);
  return value;
}

function operand(name: string, value: unknown): QuantityValue {
  if (typeof value === 'bigint') return new QuantityValue(value, 1n);
  return asQuantity(name, value);
}

function asInteger(q: QuantityValue): bigint | undefined {
  if (q.den !== 1n || q.num > INT64_MAX || q.num < INT64_MIN) return undefined;
  return q.num;
}

export const quantityLibrary: CelLibrary = {
  name: 'quantity',
  funcs: [
    fn('quantity', 1, (text) => parseQuantity(asString('quantity', text))),
    fn('isQuantity', 1, (text) => {
      try {
        parseQuantity(asString('isQuantity', text));
        return true;
      } catch {
        return false;
      }
    }),
    method('sign', 0, (self) => BigInt(Math.sign(Number(asQuantity('sign', self).num)))),
    method(
      'isGreaterThan',
      1,
      (self, other) => asQuantity('isGreaterThan', self).compare(asQuantity('isGreaterThan', other)) > 0,
    ),
    method(
      'isLessThan',
      1,
      (self, other) => asQuantity('isLessThan', self).compare(asQuantity('isLessThan', other)) < 0,
    ),
    method('compareTo', 1, (self, other) =>
      BigInt(asQuantity('compareTo', self).compare(asQuantity('compareTo', other))),
    ),
    method('asApproximateFloat', 0, (self) => {
      const q = asQuantity('asApproximateFloat', self);
      return Number(q.num) / Number(q.den);
    }),
    method('asInteger', 0, (self) => {
      const value = asInteger(asQuantity('asInteger', self));
      if (value === undefined) throw new Error('cannot convert value to integer');
      return value;
    }),
    method('isInteger', 0, (self) => asInteger(asQuantity('isInteger', self)) !== undefined),
    method('add', 1, (self, other) => {
      const a = asQuantity('add', self);
      const b = operand('add', other);
      return new QuantityValue(a.num * b.den + b.num * a.den, a.den * b.den);
    }),
    method('sub', 1, (self, other) => {
      const a = asQuantity('sub', self);
      const b = operand('sub', other);
      return new QuantityValue(a.num * b.den - b.num * a.den, a.den * b.den);
    }),
  ],
};
