/**
 * Kubernetes resource quantities (`500m`, `1.5Gi`, `-2`, `1e3`): suffixes scale by powers of two
 * (`Ki` ... `Ei`) or ten (`n` ... `E`), or a decimal exponent follows. Shared by cost estimates and
 * Kyverno's quantity comparisons.
 */

const binary: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const decimal: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

/** The value of a quantity in base units (signed), or undefined when `text` is not one. */
export function quantityValue(text: string): number | undefined {
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const number = Number(match[1]);
  if (match[3] !== undefined) return number * 10 ** Number(match[3]);
  const suffix = match[2] ?? '';
  return number * (binary[suffix] ?? decimal[suffix] ?? 1);
}

/** A quantity as an exact fraction (numerator, denominator), or undefined when `text` is not one. */
function quantityFraction(text: string): [bigint, bigint] | undefined {
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const mantissa = match[1]!;
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace(/^[+-]/, '');
  const dot = digits.indexOf('.');
  const decimals = dot < 0 ? 0 : digits.length - dot - 1;
  let numerator = BigInt(digits.replace('.', '') || '0') * (negative ? -1n : 1n);
  let denominator = 10n ** BigInt(decimals);
  let exponent = match[3] !== undefined ? Number(match[3]) : 0;
  const suffix = match[2] ?? '';
  if (suffix in binary) numerator *= 2n ** BigInt(Math.log2(binary[suffix]!));
  else if (suffix !== '') exponent += Math.round(Math.log10(decimal[suffix]!));
  if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
  else denominator *= 10n ** BigInt(-exponent);
  return [numerator, denominator];
}

/** Exact comparison of two quantities (`1Gi` = `1073741824`, `0.5` = `500m`): -1, 0 or 1; undefined when either is not one. */
export function compareQuantities(a: string, b: string): -1 | 0 | 1 | undefined {
  const x = quantityFraction(a);
  const y = quantityFraction(b);
  if (!x || !y) return undefined;
  const left = x[0] * y[1];
  const right = y[0] * x[1];
  return left < right ? -1 : left > right ? 1 : 0;
}
