import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import type { Policy } from '../model/policy.js';
import { ParapetError, describeError } from '../model/errors.js';
import { explainSchemaError, pickSchemaError, unknownKeyHint, type Segment } from '../model/schema-errors.js';

/** What is wrong with a policy's configured parameters: where (below `parameters.<policy id>`) and why. */
export interface ParameterProblem {
  /** The parameter name, then the path inside its value (`['requiredLimits', 1]`). */
  segments: Segment[];
  /** Whether `segments` names a key that should not be there (so a message points at the key). */
  atKey: boolean;
  message: string;
}

const requireCommonJs = createRequire(import.meta.url);
let parameterAjv: Ajv2020 | undefined;
const validators = new WeakMap<object, ValidateFunction>();

/** Compiled on the first configured parameter: runs that configure none never load ajv for this. */
function validatorFor(policy: Policy, name: string, declaration: Record<string, unknown>): ValidateFunction {
  let validate = validators.get(declaration);
  if (!validate) {
    if (!parameterAjv) {
      // ajv is CommonJS, so it can be loaded here, synchronously, by the one caller that needs it.
      const { Ajv2020: Ajv } = requireCommonJs('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
      // verbose: errors carry the failing value and its schema, which the message puts in words.
      parameterAjv = new Ajv({ strict: false, allErrors: false, verbose: true });
    }
    const { default: _default, description: _description, ...schema } = declaration;
    try {
      validate = parameterAjv.compile(schema);
    } catch (error) {
      throw new ParapetError(
        'PARAPET_POLICY_INVALID',
        `${policy.file}: parameters.${name}: not a usable JSON Schema: ${describeError(error)}`,
        { file: policy.file, cause: error },
      );
    }
    validators.set(declaration, validate);
  }
  return validate;
}

/**
 * The first problem with the values `configured` for `policy` against the JSON Schemas its
 * `parameters` declare: a name it does not declare, or a value of the wrong type, out of range or
 * not among the allowed ones. A policy declaring no parameters (a Rego module reading
 * `input.params`) takes any.
 */
export function parameterProblem(
  policy: Policy,
  configured: Record<string, unknown>,
): ParameterProblem | undefined {
  const declared = policy.parameters;
  if (!declared) return undefined;
  for (const [name, value] of Object.entries(configured)) {
    const declaration = Object.hasOwn(declared, name) ? declared[name] : undefined;
    if (!declaration) {
      const names = Object.keys(declared);
      const hint = names.length ? unknownKeyHint(name, names) : ' (it takes no parameters)';
      return {
        segments: [name],
        atKey: true,
        message: `policy ${policy.id} has no parameter "${name}"${hint}`,
      };
    }
    const validate = validatorFor(policy, name, declaration);
    if (validate(value)) continue;
    const error = pickSchemaError(validate.errors ?? []);
    const explained = explainSchemaError(error);
    let message = explained.message;
    // `requiredLimits: memory` where a list is wanted: show how a list of one is written.
    if (error.keyword === 'type' && error.instancePath === '' && declaration.type === 'array') {
      const items = declaration.items;
      const single =
        items && typeof items === 'object'
          ? validatorFor(policy, `${name}.items`, items as Record<string, unknown>)
          : undefined;
      if (single?.(value)) message += ` (a list of one is written [${flowScalar(value)}])`;
    }
    return {
      segments: [name, ...explained.segments],
      atKey: error.keyword === 'additionalProperties',
      message,
    };
  }
  return undefined;
}

function flowScalar(value: unknown): string {
  return typeof value === 'string' && /^[\w./*-]+$/.test(value) ? value : JSON.stringify(value);
}
