import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The package root: two levels above this file, in `src/` and in `dist/` alike. */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The built-in policy library. */
export const builtinPolicyDir = path.join(packageRoot, 'policies');
