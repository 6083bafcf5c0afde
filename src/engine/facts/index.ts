import type { FactProvider } from './types.js';

/** Fact providers, run in this order before every evaluation. */
export const factProviders: FactProvider[] = [];

export type { FactContext, FactProvider } from './types.js';
