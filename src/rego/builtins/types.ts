/** A builtin implemented in TypeScript: JSON arguments in, a JSON result out (`undefined` = undefined in Rego). */
export type BuiltinFunction = (...args: unknown[]) => unknown;

export type BuiltinTable = Record<string, BuiltinFunction>;
