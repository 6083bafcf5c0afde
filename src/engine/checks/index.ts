import type { CheckDefinition } from './types.js';

/** Every named check, one file each in this folder. Names are unique. */
export const checks: CheckDefinition[] = [];

export type { CheckDefinition } from './types.js';
