import { quantityValue } from '../engine/quantity.js';

/**
 * A Kubernetes resource quantity (`500m`, `1.5`, `128Mi`, `1G`, `1e3`) in base units, or undefined
 * when it is not one. Numbers are accepted as they are.
 */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  // A request or price is never negative.
  if (text.startsWith('-')) return undefined;
  return quantityValue(text);
}

/** Bytes in a GiB, the unit memory and storage are priced in. */
export const GIB = 2 ** 30;
