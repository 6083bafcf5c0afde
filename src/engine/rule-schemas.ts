import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
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

/** Validators written out at build time (dist/library/validators/), by policy, then by schema key. */
export interface PrecompiledValidators {
  firstError(policyId: string): Record<string, ValidateFunction>;
  allErrors(policyId: string): Record<string, ValidateFunction>;
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
const validatorsDir = new URL('../library/validators/', import.meta.url);

/** The file of one policy's validators, first-error or all-errors (the build writes both). */
export function validatorFileName(policyId: string, allErrors: boolean): string {
  return `${policyId}.${allErrors ? 'all-errors' : 'first-error'}.cjs`;
}

type ValidatorTable = (keywords: typeof keywordRuntime) => Record<string, ValidateFunction>;

/**
 * The precompiled validators, when this is a built copy (dist/) that has them. Each policy's are
 * in a file of their own, read when a rule of that policy first runs a validator: a run reads those
 * of the policies that meet its resources, not the whole library's.
 */
export function loadPrecompiledValidators(): PrecompiledValidators | undefined {
  if (!existsSync(validatorsDir)) return undefined;
  const tables = new Map<string, Record<string, ValidateFunction>>();
  const table = (policyId: string, allErrors: boolean): Record<string, ValidateFunction> => {
    const name = validatorFileName(policyId, allErrors);
    let validators = tables.get(name);
    if (!validators) {
      const file = fileURLToPath(new URL(name, validatorsDir));
      validators = existsSync(file) ? (requireCommonJs(file) as ValidatorTable)(keywordRuntime) : {};
      tables.set(name, validators);
    }
    return validators;
  };
  return {
    firstError: (policyId) => table(policyId, false),
    allErrors: (policyId) => table(policyId, true),
  };
}

/**
 * A validator that resolves on its first call. Callers read `errors` from the function they were
 * given, so each call copies them over from the resolved one.
 */
function resolvedOnFirstCall(resolve: () => ValidateFunction): ValidateFunction {
  let resolved: ValidateFunction | undefined;
  const validate = function (
    this: unknown,
    data: unknown,
    context?: Parameters<ValidateFunction>[1],
  ): boolean {
    resolved ??= resolve();
    const valid = resolved.call(this, data, context);
    validate.errors = resolved.errors;
    return valid;
  } as ValidateFunction;
  return validate;
}

function lookup(
  table: () => Record<string, ValidateFunction>,
  fallback: SchemaCompiler | undefined,
  deferred: boolean,
): SchemaCompiler {
  const find = (schema: AnySchema): ValidateFunction => {
    const found = table()[schemaKey(guardContains(schema))];
    if (found) return found;
    if (fallback) return fallback.compile(schema);
    // Only policies whose schemas were all written at build time run without ajv.
    throw new ParapetError(
      'PARAPET_POLICY_COMPILE',
      'the precompiled policy library lacks a validator for this schema: rebuild parapet (npm run build)',
    );
  };
  return { compile: (schema) => (deferred ? resolvedOnFirstCall(() => find(schema)) : find(schema)) };
}

/**
 * One policy's compilers: they answer from the precompiled validators where they can, and compile
 * the rest with `ajv` (user policies, configured parameters); without `ajv`, only from the
 * precompiled ones. `deferred` (a built-in policy as the build compiled it, so no schema of it can
 * fail to compile) leaves finding each validator to its first call: a run pays only for the
 * policies its resources meet.
 */
export function precompiledCompilers(
  precompiled: PrecompiledValidators,
  policyId: string,
  ajv: RuleSchemaCompilers | undefined,
  deferred: boolean,
): RuleSchemaCompilers {
  return {
    ajv: lookup(() => precompiled.firstError(policyId), ajv?.ajv, deferred),
    ajvAllErrors: lookup(() => precompiled.allErrors(policyId), ajv?.ajvAllErrors, deferred),
  };
}
