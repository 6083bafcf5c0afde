import { imagesFactProvider } from './images.js';
import type { FactProvider } from './types.js';

/** Fact providers, run in this order before every evaluation. */
export const factProviders: FactProvider[] = [imagesFactProvider];

export type { FactContext, FactProvider } from './types.js';
