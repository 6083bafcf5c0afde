import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { AnySchema, ValidateFunction } from 'ajv';
import { ParapetError } from '../model/errors.js';
import type { Policy } from '../model/policy.js';
import { keywordRuntime } from './keywords/runtime.js';
import { guardContains } from './schema-guard.js';

/** What rules compile their schemas with (first-error and all-errors validators). */
export interface SchemaCompiler {
  compile(schema: AnySchema): ValidateFunction;
  /**
   * Set by the build that writes the precompiled library: rules then compile up front the parts
   * they would otherwise compile on demand, so the written library has validators for them.
   */
  readonly ahead?: boolean;
}

export interface RuleSchemaCompilers {
  ajv: SchemaCompiler;
  ajvAllErrors: SchemaCompiler;
}

/** Validators written out at build time (dist/library/validators-*.cjs), by schema key. */
export interface PrecompiledValidators {
  firstError(): Record<string, ValidateFunction>;
  allErrors(): Record<string, ValidateFunction>;
}

/** The key a rule schema's validator is stored under: a digest of the schema as ajv compiles it. */
export function schemaKey(guarded: unknown): string {
  return 'v' + createHash('sha256').update(JSON.stringify(guarded)).digest('hex').slice(0, 32);
}

/** Built-in policies read from the precompiled library, whose validators were written at build time. */
const precompiledPolicies = new WeakSet<Policy>();

export function markPrecompiled(policy: Policy): void {
  precompiledPolicies.add(policy);
}

export function isPrecompiled(policy: Policy): boolean {
  return precompiledPolicies.has(policy);
}

const requireCommonJs = createRequire(import.meta.url);
const libraryDir = new URL('../library/', import.meta.url);

type ValidatorTable = (keywords: typeof keywordRuntime) => Record<string, ValidateFunction>;

/** One table of precompiled validators, or undefined when this copy has none (running from src/). */
function validatorTable(name: string): ValidatorTable | undefined {
  try {
    return requireCommonJs(fileURLToPath(new URL(name, libraryDir))) as ValidatorTable;
  } catch (error) {
    if ((error as { code?: string }).code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

/** The precompiled validators, when this is a built copy (dist/) that has them. */
export function loadPrecompiledValidators(): PrecompiledValidators | undefined {
  const firstError = validatorTable('validators-first-error.cjs');
  if (!firstError) return undefined;
  return {
    firstError: () => firstError(keywordRuntime),
    allErrors: () => validatorTable('validators-all-errors.cjs')!(keywordRuntime),
  };
}

function lookup(
  table: () => Record<string, ValidateFunction>,
  fallback: SchemaCompiler | undefined,
): SchemaCompiler {
  let validators: Record<string, ValidateFunction> | undefined;
  return {
    compile(schema) {
      validators ??= table();
      const found = validators[schemaKey(guardContains(schema))];
      if (found) return found;
      if (fallback) return fallback.compile(schema);
      // Only policies whose schemas were all written at build time run without ajv.
      throw new ParapetError(
        'PARAPET_POLICY_COMPILE',
        'the precompiled policy library lacks a validator for this schema: rebuild parapet (npm run build)',
      );
    },
  };
}

/**
 * Compilers that answer from the precompiled validators where they can, and compile the rest with
 * `ajv` (user policies, configured parameters); without `ajv`, only from the precompiled ones.
 */
export function precompiledCompilers(
  precompiled: PrecompiledValidators,
  ajv: RuleSchemaCompilers | undefined,
): RuleSchemaCompilers {
  return {
    ajv: lookup(() => precompiled.firstError(), ajv?.ajv),
    ajvAllErrors: lookup(() => precompiled.allErrors(), ajv?.ajvAllErrors),
  };
}
