import { ParapetError } from '../model/errors.js';
import type { Policy } from '../model/policy.js';
import { formatPath } from '../model/schema-errors.js';
import { parameterProblem } from './parameter-check.js';

/**
 * The parameter values a policy runs with: configured values over the defaults of the run's version
 * (versioned policies) over the declared defaults.
 */
export function resolveParameters(
  policy: Policy,
  configured: Record<string, unknown> = {},
  versionDefaults: Record<string, unknown> = {},
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, declaration] of Object.entries(policy.parameters ?? {})) {
    if ('default' in declaration) values[name] = declaration.default;
  }
  Object.assign(values, versionDefaults);
  // The command line checks configured values first, naming the configuration file and line; this
  // catches the library's callers and policy test cases.
  const problem = parameterProblem(policy, configured);
  if (problem) {
    throw new ParapetError(
      'PARAPET_CONFIG_INVALID',
      `${formatPath(['parameters', policy.id, ...problem.segments])}: ${problem.message}`,
    );
  }
  Object.assign(values, configured);
  return values;
}

/**
 * Replace every `{ $param: NAME }` object inside `value` by the parameter's value, and every
 * `{ $param: NAME, cases: { VALUE: PART, ... } }` by the part for the parameter's value: a parameter
 * that picks one of a few behaviours (`kms: any | customer-managed`) switches a part of a rule.
 */
export function substituteParameters(
  value: unknown,
  params: Record<string, unknown>,
  policy: Policy,
): unknown {
  if (Array.isArray(value)) return value.map((item) => substituteParameters(item, params, policy));
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (typeof record.$param === 'string' && (keys.length === 1 || (keys.length === 2 && 'cases' in record))) {
    const name = record.$param;
    if (!(name in params)) {
      throw new ParapetError(
        'PARAPET_POLICY_COMPILE',
        `${policy.file}: rule uses parameter "${name}" which has no value and no default`,
        { file: policy.file },
      );
    }
    if (keys.length === 1) return params[name];
    const cases = record.cases;
    if (cases === null || typeof cases !== 'object' || Array.isArray(cases)) {
      throw new ParapetError(
        'PARAPET_POLICY_COMPILE',
        `${policy.file}: the cases of parameter "${name}" must map each value to a part of the rule`,
        { file: policy.file },
      );
    }
    const value = params[name];
    const choices = cases as Record<string, unknown>;
    if (typeof value !== 'string' || !Object.hasOwn(choices, value)) {
      throw new ParapetError(
        'PARAPET_CONFIG_INVALID',
        `parameters.${policy.id}.${name}: ${JSON.stringify(value)} is not one of ${Object.keys(choices).join(', ')}`,
      );
    }
    return substituteParameters(choices[value], params, policy);
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = substituteParameters(record[key], params, policy);
  return out;
}
