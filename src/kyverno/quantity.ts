/**
 * Kubernetes quantities and Go durations as Kyverno compares them: patterns such as `<= 2Gi` or
 * `> 1h` compare by value, not as strings.
 */
import { quantityValue } from '../engine/quantity.js';

/** The value of a quantity (`500m`, `1.5Gi`, `-2`, `1e3`), or undefined when `text` is not one. */
export const parseQuantity = quantityValue;

/** -1, 0 or 1, or undefined when either side is not a quantity. */
export function compareQuantities(a: string, b: string): number | undefined {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  if (x === undefined || y === undefined) return undefined;
  // Suffixes scale by powers of two and ten: compare with a relative tolerance for float error.
  if (Math.abs(x - y) <= Math.abs(x + y) * 1e-12) return 0;
  return x < y ? -1 : 1;
}

const UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** A Go duration (`1h30m`, `-5s`, `0`) in nanoseconds, or undefined when `text` is not one. */
export function parseDuration(text: string): number | undefined {
  if (text === '0' || text === '+0' || text === '-0') return 0;
  const match = /^([+-]?)((?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(text);
  if (!match) return undefined;
  let total = 0;
  for (const part of match[2]!.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g))
    total += Number(part[1]) * UNITS[part[2]!]!;
  return match[1] === '-' ? -total : total;
}

/** Nanoseconds as Go prints a duration (`1h0m0s`, `1.5s`, `300ms`). */
export function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let rest = Math.abs(Math.round(ns));
  if (rest < 1e9) {
    if (rest < 1e3) return `${sign}${rest}ns`;
    if (rest < 1e6) return `${sign}${trim(rest / 1e3)}µs`;
    return `${sign}${trim(rest / 1e6)}ms`;
  }
  const hours = Math.floor(rest / 3600e9);
  rest -= hours * 3600e9;
  const minutes = Math.floor(rest / 60e9);
  rest -= minutes * 60e9;
  const seconds = trim(rest / 1e9);
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

function trim(value: number): string {
  return String(Number(value.toFixed(9)));
}
