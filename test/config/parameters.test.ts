import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { assertConfiguredParameters } from '../../src/config/parameters.js';
import { createEngine } from '../../src/engine/engine.js';
import { isParapetError } from '../../src/model/errors.js';
import type { Policy } from '../../src/model/policy.js';
import { defaultSettings } from '../../src/model/settings.js';
import { loadPolicies } from '../../src/policies/load.js';
import { repoPath, runCli } from '../helpers.js';

// A value the user wrote in parapet.yaml that a policy's parameter schema refuses is the user's
// error: it names their file, the key path and the line and column, in words, never the built-in
// policy file or the validator's own wording.
const fixtures = 'fixtures/config/invalid/parameters';
const clean = 'fixtures/clean/web-deployment.yaml';

describe('parapet check with a wrong parameter in the configuration', () => {
  it('a single resource where a list is wanted (requiredLimits: memory) exits 2 naming file, key and line', async () => {
    const config = `${fixtures}/required-limits-scalar.yaml`;
    const run = await runCli(['check', clean, '--config', config]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `error: ${config}:7:21: parameters.k8s-resource-limits.requiredLimits: must be a list, each one of "cpu", "memory", "ephemeral-storage", got "memory" (a list of one is written [memory])\n`,
    );
  });

  it('a number where a list of registries is wanted (allowed: 5) exits 2 naming file, key and line', async () => {
    const config = `${fixtures}/allowed-registries-number.yaml`;
    const run = await runCli(['check', clean, '--config', config]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `error: ${config}:7:14: parameters.image-allowed-registries.allowed: must be a list of strings, got 5\n`,
    );
  });

  it('parameters for a misspelt policy id are an error with the closest id', async () => {
    const config = `${fixtures}/unknown-policy.yaml`;
    const run = await runCli(['check', clean, '--config', config]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `error: ${config}:4:3: parameters.k8s-resource-limit: no loaded policy has this id (did you mean k8s-resource-limits?); run "parapet policies" for the list\n`,
    );
  });

  it('a wrong value in the --trusted-config file is reported against that file', async () => {
    const trusted = `${fixtures}/pipeline/trusted.yaml`;
    const repository = `${fixtures}/pipeline/parapet.yaml`;
    const run = await runCli(['check', clean, '--config', repository, '--trusted-config', trusted]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `error: ${trusted}:5:13: parameters.cost-plan-delta-budget.budget: must be a number of at least 0, got "2k"\n`,
    );
  });

  it('the library names the key path when no configuration file is involved', async () => {
    const policies = await loadPolicies({ builtin: true });
    const error = await createEngine(policies, {
      ...defaultSettings(),
      parameters: { 'k8s-resource-limits': { requiredLimits: 'memory' } },
    }).catch((caught: unknown) => caught);
    expect(isParapetError(error) && error.code).toBe('PARAPET_CONFIG_INVALID');
    expect((error as Error).message).toBe(
      'parameters.k8s-resource-limits.requiredLimits: must be a list, each one of "cpu", "memory", "ephemeral-storage", got "memory" (a list of one is written [memory])',
    );
  });
});

// Generated from the policies' own parameter schemas: every parameter of every built-in policy.

type Schema = Record<string, unknown>;

/** The JSON types a schema accepts (`integer` counts as its own type). */
function acceptedTypes(schema: Schema): Set<string> {
  const types = new Set<string>();
  if (typeof schema.type === 'string') types.add(schema.type);
  if (Array.isArray(schema.type)) for (const type of schema.type) types.add(String(type));
  if (Array.isArray(schema.enum))
    for (const value of schema.enum) types.add(Array.isArray(value) ? 'array' : typeof value);
  for (const branch of (schema.anyOf ?? schema.oneOf ?? []) as Schema[])
    for (const type of acceptedTypes(branch)) types.add(type);
  if (types.has('integer')) types.delete('number');
  return types;
}

/** A value of a JSON type the schema does not accept, and how an error shows it. */
function wrongTypedValue(schema: Schema): { value: unknown; shown: string } {
  const accepted = acceptedTypes(schema);
  const candidates: Array<[string, unknown, string]> = [
    ['string', 'not-a-valid-value', '"not-a-valid-value"'],
    ['number', 7.5, '7.5'],
    ['boolean', true, 'true'],
    ['array', ['not-a-valid-value'], 'a list'],
    ['object', { notValid: 1 }, 'a mapping'],
  ];
  const pick = candidates.find(([type]) => !accepted.has(type))!;
  return { value: pick[1], shown: pick[2] };
}

const typeWords: Record<string, string> = {
  array: 'a list',
  object: 'a mapping',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
};

/** A value the schema accepts, other than the default where one is easy to make. */
function validValue(schema: Schema): unknown {
  if (Array.isArray(schema.examples)) return schema.examples.at(-1);
  if (Array.isArray(schema.enum)) return schema.enum.at(-1);
  if (Array.isArray(schema.anyOf)) return validValue(schema.anyOf[0] as Schema);
  switch (schema.type) {
    case 'array':
      return [validValue((schema.items ?? { type: 'string' }) as Schema)];
    case 'object': {
      // Required keys get a valid value of their own.
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
      const base = Object.fromEntries(required.map((key) => [key, validValue(properties[key] ?? {})]));
      return typeof schema.additionalProperties === 'object'
        ? { example: validValue(schema.additionalProperties as Schema), ...base }
        : base;
    }
    case 'boolean':
      return schema.default !== true;
    case 'integer':
    case 'number':
      return typeof schema.maximum === 'number'
        ? schema.maximum
        : typeof schema.minimum === 'number'
          ? schema.minimum + 3
          : 3;
    default:
      // A string may be held to a pattern (a version, say): its default or examples fit it.
      if (typeof schema.pattern === 'string' && typeof schema.default !== 'string')
        throw new Error(`a string parameter held to ${schema.pattern} needs a default or examples`);
      return typeof schema.default === 'string' ? schema.default : 'example.com/**';
  }
}

/** parapet.yaml setting one parameter, its value written as JSON (which is YAML flow), on line 4. */
function configText(policyId: string, name: string, value: unknown): string {
  return `# generated for ${policyId}\nparameters:\n  ${policyId}:\n    ${name}: ${JSON.stringify(value)}\n`;
}

function configuredError(policies: Policy[], text: string): string {
  const config = parseConfig(text, { file: 'parapet.yaml', path: path.join(repoPath(), 'parapet.yaml') });
  try {
    assertConfiguredParameters(policies, config);
  } catch (error) {
    expect(isParapetError(error) && error.code).toBe('PARAPET_CONFIG_INVALID');
    return (error as Error).message;
  }
  return '';
}

const builtin = await loadPolicies({ builtin: true });
const parameters = builtin.flatMap((policy) =>
  Object.entries(policy.parameters ?? {}).map(([name, declaration]) => ({
    policy,
    name,
    schema: declaration as Schema,
    label: `${policy.id}.${name}`,
  })),
);

describe('every parameter of every built-in policy', () => {
  beforeAll(() => {
    // The library declares parameters: a change that lost them would make every case below vanish.
    expect(parameters.length).toBeGreaterThanOrEqual(37);
  });

  it.each(parameters)(
    '$label: a wrong-typed value names file, key, line and the expected type',
    ({ policy, name, schema }) => {
      const { value, shown } = wrongTypedValue(schema);
      const text = configText(policy.id, name, value);
      const message = configuredError(builtin, text);
      const column = text.split('\n')[3]!.indexOf(JSON.stringify(value)) + 1;
      expect(message).toMatch(
        new RegExp(
          `^parapet\\.yaml:4:${column}: parameters\\.${policy.id}\\.${name}: must be .+, got ${shown.replace(/[.[\]]/g, '\\$&')}`,
        ),
      );
      // A choice is named by its allowed values, anything else by its type.
      if (Array.isArray(schema.enum))
        for (const allowed of schema.enum) expect(message).toContain(JSON.stringify(allowed));
      else for (const type of acceptedTypes(schema)) expect(message).toContain(typeWords[type]);
      expect(message).not.toMatch(/\bdata\b|undefined|policies\/|\.yaml: rule/);
    },
  );

  it.each(parameters)('$label: a valid value is accepted and runs', async ({ policy, name, schema }) => {
    const value = validValue(schema);
    const text = configText(policy.id, name, value);
    expect(configuredError(builtin, text)).toBe('');
    const config = parseConfig(text, { file: 'parapet.yaml', path: path.join(repoPath(), 'parapet.yaml') });
    // Selected by id: opt-in policies run only when named.
    const engine = await createEngine([policy], { ...config.settings, select: [policy.id] });
    expect(engine.policies[0]?.params[name]).toEqual(value);
  });

  const ranged = parameters.filter(({ schema }) => typeof schema.minimum === 'number');
  it.each(ranged)('$label: a value below the minimum says the range', ({ policy, name, schema }) => {
    const minimum = schema.minimum as number;
    const message = configuredError(builtin, configText(policy.id, name, minimum - 1));
    expect(message).toMatch(
      new RegExp(`^parapet\\.yaml:4:\\d+: parameters\\.${policy.id}\\.${name}: must be `),
    );
    expect(message).toContain(`${minimum}`);
    expect(message).toMatch(new RegExp(`got ${minimum - 1}$`));
    if (typeof schema.maximum === 'number') {
      const above = configuredError(builtin, configText(policy.id, name, schema.maximum + 1));
      expect(above).toContain(`from ${minimum} to ${schema.maximum}, got ${schema.maximum + 1}`);
    }
  });

  const listsOfChoices = parameters.filter(
    ({ schema }) => schema.type === 'array' && Array.isArray((schema.items as Schema | undefined)?.enum),
  );
  const choices = parameters.filter(({ schema }) => Array.isArray(schema.enum));
  it.each([...listsOfChoices, ...choices])(
    '$label: a value outside the allowed ones names the item and lists the allowed values',
    ({ policy, name, schema }) => {
      const allowed = ((schema.enum ?? (schema.items as Schema).enum) as unknown[]).map(String);
      const value = schema.type === 'array' ? [allowed[0], 'not-allowed'] : 'not-allowed';
      const text = configText(policy.id, name, value);
      const column = text.split('\n')[3]!.lastIndexOf('"not-allowed"') + 1;
      const where = schema.type === 'array' ? `${name}[1]` : name;
      expect(configuredError(builtin, text)).toBe(
        `parapet.yaml:4:${column}: parameters.${policy.id}.${where}: must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}, got "not-allowed"`,
      );
    },
  );

  it.each(parameters)('$label: a misspelt parameter name points at the key', ({ policy, name, schema }) => {
    const misspelt = `${name}s`.replace(/ss$/, 's_');
    const text = configText(policy.id, misspelt, validValue(schema));
    expect(configuredError(builtin, text)).toBe(
      `parapet.yaml:4:5: parameters.${policy.id}.${misspelt}: policy ${policy.id} has no parameter "${misspelt}" (did you mean "${name}"?)`,
    );
  });
});
