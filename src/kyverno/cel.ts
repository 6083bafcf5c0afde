/**
 * `validate.cel` and `celPreconditions` on the shared CEL environment: `object`, `oldObject`,
 * `request`, `namespaceObject`, `params`, `variables` and an authorizer that answers unknown in CI.
 */
import { CelCompileError, CelEnvironment, ciAuthorizer, fromCel, type CelOutcome } from '../cel/index.js';
import type { Obj } from './types.js';

const environment = new CelEnvironment({
  variables: ['object', 'oldObject', 'request', 'params', 'namespaceObject', 'authorizer', 'variables'],
});

const compiled = new Map<string, ReturnType<CelEnvironment['compile']> | CelCompileError>();

function program(source: string): ReturnType<CelEnvironment['compile']> {
  let entry = compiled.get(source);
  if (!entry) {
    try {
      entry = environment.compile(source);
    } catch (error) {
      if (!(error instanceof CelCompileError)) throw error;
      entry = error;
    }
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(source, entry);
  }
  if (entry instanceof CelCompileError) throw entry;
  return entry;
}

export interface CelInputs {
  object: Obj | null;
  oldObject: Obj | null;
  request: Obj;
  namespaceObject: Obj | null;
}

export type CelVerdict =
  | { status: 'pass' }
  | { status: 'fail'; message: string }
  | { status: 'error'; message: string }
  | { status: 'unknown'; message: string };

function run(source: string, bindings: Record<string, unknown>): CelOutcome {
  return program(source).evaluate(bindings);
}

function bindingsOf(inputs: CelInputs, variables: Record<string, unknown>): Record<string, unknown> {
  return {
    object: inputs.object,
    oldObject: inputs.oldObject,
    request: inputs.request,
    namespaceObject: inputs.namespaceObject,
    params: null,
    authorizer: ciAuthorizer,
    variables,
  };
}

/** `celPreconditions`: true when every expression holds. */
export function celPreconditionsHold(
  preconditions: Array<{ name?: string; expression: string }>,
  inputs: CelInputs,
): { value: boolean; message?: string } | { error: string } {
  const bindings = bindingsOf(inputs, {});
  for (const condition of preconditions) {
    let outcome: CelOutcome;
    try {
      outcome = run(condition.expression, bindings);
    } catch (error) {
      return {
        error: `celPreconditions ${condition.name ?? condition.expression}: ${(error as Error).message}`,
      };
    }
    if (outcome.kind !== 'value')
      return { error: outcome.kind === 'error' ? outcome.message : outcome.reason };
    if (fromCel(outcome.value) !== true)
      return {
        value: false,
        message: `cel preconditions not met: ${condition.name ?? condition.expression}`,
      };
  }
  return { value: true };
}

interface CelSpec {
  expressions?: Array<{ expression: string; message?: string; messageExpression?: string }>;
  variables?: Array<{ name: string; expression: string }>;
  paramKind?: unknown;
  paramRef?: unknown;
}

/** The verdict of a rule's `validate.cel` block. */
export function validateCel(spec: CelSpec, inputs: CelInputs): CelVerdict {
  if (spec.paramKind || spec.paramRef)
    return {
      status: 'unknown',
      message: 'validate.cel with paramKind/paramRef needs parameter resources from the cluster',
    };
  const variables: Record<string, unknown> = {};
  try {
    for (const variable of spec.variables ?? []) {
      const outcome = run(variable.expression, bindingsOf(inputs, variables));
      if (outcome.kind === 'unknown') return { status: 'unknown', message: outcome.reason };
      if (outcome.kind === 'error')
        return { status: 'error', message: `variable ${variable.name}: ${outcome.message}` };
      variables[variable.name] = fromCel(outcome.value);
    }
    const bindings = bindingsOf(inputs, variables);
    for (const expression of spec.expressions ?? []) {
      const outcome = run(expression.expression, bindings);
      if (outcome.kind === 'unknown') return { status: 'unknown', message: outcome.reason };
      if (outcome.kind === 'error') return { status: 'error', message: outcome.message };
      if (fromCel(outcome.value) === true) continue;
      let message = expression.message ?? `failed expression: ${expression.expression}`;
      if (expression.messageExpression) {
        const rendered = run(expression.messageExpression, bindings);
        if (rendered.kind === 'value' && typeof fromCel(rendered.value) === 'string')
          message = fromCel(rendered.value) as string;
      }
      return { status: 'fail', message };
    }
  } catch (error) {
    return { status: 'error', message: (error as Error).message };
  }
  return { status: 'pass' };
}
