import { collectionBuiltins } from './collections.js';
import { encodingBuiltins } from './encoding.js';
import { stringBuiltins } from './strings.js';
import type { BuiltinTable } from './types.js';
import { unitBuiltins } from './units.js';

export type { BuiltinFunction, BuiltinTable } from './types.js';

/**
 * Builtins that OPA's Wasm compiler leaves to the host (it implements the rest inside the module).
 * Found by compiling Conftest and Gatekeeper style policies and reading each module's builtin table;
 * the list in the README names them. `internal.print` is wired by the host itself.
 */
export const hostBuiltins: BuiltinTable = {
  ...stringBuiltins,
  ...unitBuiltins,
  ...encodingBuiltins,
  ...collectionBuiltins,
};

/** Builtins the host handles outside the table (the print sink). */
export const hostHandledBuiltins = new Set(['internal.print']);

/** True when a Wasm module needing `name` can run here. */
export function isHostBuiltin(name: string): boolean {
  return Object.hasOwn(hostBuiltins, name) || hostHandledBuiltins.has(name);
}
