import { isIP } from 'node:net';
import type { BuiltinTable } from './types.js';

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  const aKeys = Object.keys(a);
  const bRecord = b as Record<string, unknown>;
  return (
    aKeys.length === Object.keys(bRecord).length &&
    aKeys.every((key) => deepEqual((a as Record<string, unknown>)[key], bRecord[key]))
  );
}

/**
 * OPA's object.subset: objects recurse, arrays must appear as a contiguous run, and anything else
 * must be equal. Sets arrive as arrays from Wasm, so the array rule covers them as well as it can.
 */
function isSubset(superValue: unknown, subValue: unknown): boolean {
  if (Array.isArray(superValue) && Array.isArray(subValue)) {
    if (subValue.length === 0) return true;
    for (let start = 0; start + subValue.length <= superValue.length; start += 1) {
      if (subValue.every((item, offset) => deepEqual(superValue[start + offset], item))) return true;
    }
    // A set-like subset: every element present somewhere.
    return subValue.every((item) => superValue.some((candidate) => deepEqual(candidate, item)));
  }
  if (
    superValue &&
    subValue &&
    typeof superValue === 'object' &&
    typeof subValue === 'object' &&
    !Array.isArray(superValue)
  ) {
    return Object.entries(subValue as Record<string, unknown>).every(
      ([key, item]) =>
        key in (superValue as Record<string, unknown>) &&
        isSubset((superValue as Record<string, unknown>)[key], item),
    );
  }
  return deepEqual(superValue, subValue);
}

function parseCidr(value: unknown, name: string): { base: number; prefix: number } {
  if (typeof value !== 'string') throw new TypeError(`${name}: operand 1 must be string`);
  const [address = '', prefixText] = value.split('/');
  const prefix = Number(prefixText);
  if (
    isIP(address) !== 4 ||
    prefixText === undefined ||
    !Number.isInteger(prefix) ||
    prefix < 0 ||
    prefix > 32
  ) {
    throw new Error(`${name}: ${value} is not an IPv4 CIDR`);
  }
  const base = address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  return { base, prefix };
}

function ipv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** Expanding a /8 would allocate millions of strings inside one admission request; refuse past a /16. */
const maxCidrExpansion = 65536;

export const collectionBuiltins: BuiltinTable = {
  'object.subset': (superValue, subValue) => isSubset(superValue, subValue),

  'numbers.range_step': (from, to, step) => {
    if (
      typeof from !== 'number' ||
      typeof to !== 'number' ||
      typeof step !== 'number' ||
      !Number.isInteger(step) ||
      step <= 0
    ) {
      throw new Error('numbers.range_step: step must be a positive integer');
    }
    const out: number[] = [];
    if (from <= to) for (let n = from; n <= to; n += step) out.push(n);
    else for (let n = from; n >= to; n -= step) out.push(n);
    return out;
  },

  'net.cidr_is_valid': (value) => {
    if (typeof value !== 'string') return false;
    const [address = '', prefixText] = value.split('/');
    const prefix = Number(prefixText);
    const family = isIP(address);
    return (
      family !== 0 &&
      prefixText !== undefined &&
      /^\d+$/.test(prefixText) &&
      prefix <= (family === 4 ? 32 : 128)
    );
  },

  'net.cidr_expand': (value) => {
    const { base, prefix } = parseCidr(value, 'net.cidr_expand');
    const size = 2 ** (32 - prefix);
    if (size > maxCidrExpansion)
      throw new Error(`net.cidr_expand: ${String(value)} has more than ${maxCidrExpansion} addresses`);
    const network = base - (base % size);
    return Array.from({ length: size }, (_, i) => ipv4(network + i));
  },

  'opa.runtime': () => ({ env: {}, config: {} }),
};
