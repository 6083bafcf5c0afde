import { costFactProvider } from './cost.js';
import { imagesFactProvider } from './images.js';
import type { FactProvider } from './types.js';

/** Fact providers, run in this order before every evaluation. */
export const factProviders: FactProvider[] = [imagesFactProvider, costFactProvider];

export type { FactContext, FactProvider, FactRun } from './types.js';
