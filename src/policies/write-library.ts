import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { AnySchema } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { createRuleAjv, type Ajv2020 } from '../engine/ajv.js';
import { createEngine, runPolicies } from '../engine/engine.js';
import { keywordRuntimeName } from '../engine/keywords/index.js';
import {
  schemaKey,
  validatorFileName,
  type RuleSchemaCompilers,
  type SchemaCompiler,
} from '../engine/rule-schemas.js';
import type { Policy } from '../model/policy.js';
import { guardContains } from '../engine/schema-guard.js';
import { defaultSettings } from '../model/settings.js';
import { policyInEffect, versionedDefaults } from '../engine/versions.js';
import { withPssVersion } from '../pss/settings.js';
import { latestPssVersion } from '../pss/version.js';
import { libraryFileDigests, policyLibraryFile, type PolicyLibrary } from './library.js';
import { loadPolicies } from './load.js';
import { builtinPolicyDir } from './paths.js';

/**
 * The built-in library in the form `parapet` loads without parsing YAML or compiling schemas: the
 * policies as JSON, and the validators of every schema their rules compile (with default
 * parameters, at every PSS version for versioned policies) as ajv's standalone code, first-error
 * and all-errors.
 */
export async function writePolicyLibrary(outDir: string = path.dirname(policyLibraryFile)): Promise<void> {
  const policies = await loadPolicies({ builtin: true, precompiled: false });
  for (const policy of policies) {
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(policy)), policy))
      throw new Error(`${policy.file}: the policy does not survive a JSON round trip`);
  }
  // Every schema by key, and the keys each policy's rules compile.
  const schemas = new Map<string, AnySchema>();
  const keysOf = new Map<string, Set<string>>();
  const recorder = (ajv: Ajv2020, keys: Set<string>): SchemaCompiler => ({
    ahead: true,
    compile(schema) {
      const guarded = guardContains(schema);
      const key = schemaKey(guarded);
      schemas.set(key, guarded);
      keys.add(key);
      return ajv.compile(guarded);
    },
  });
  const ruleAjv = { ajv: createRuleAjv(), ajvAllErrors: createRuleAjv({ allErrors: true }) };
  const schemaCompilers = (policy: Policy): RuleSchemaCompilers => {
    let keys = keysOf.get(policy.id);
    if (!keys) keysOf.set(policy.id, (keys = new Set()));
    return { ajv: recorder(ruleAjv.ajv, keys), ajvAllErrors: recorder(ruleAjv.ajvAllErrors, keys) };
  };
  // Compiling the engine is what finds the schemas: rules decide which of their parts ajv compiles.
  // Optional policies are compiled too: a configuration may enable any of them.
  const everyPolicy = { ...defaultSettings(), enable: ['*'] };
  await createEngine(policies, everyPolicy, { schemaCompilers });
  // A policy another one overrides runs when that one is not selected: compile it alone too.
  const compiled = new Set(runPolicies(policies, everyPolicy).map((policy) => policy.id));
  for (const policy of policies)
    if (!compiled.has(policy.id)) await createEngine([policy], everyPolicy, { schemaCompilers });
  // Versioned policies bind other parameters at other PSS versions: each distinct binding too.
  const bindings = new Set<string>();
  for (const policy of policies.filter((p) => p.versioned)) {
    for (let minor = 0; minor <= latestPssVersion.minor; minor += 1) {
      const settings = withPssVersion(defaultSettings(), { major: 1, minor });
      if (!policyInEffect(policy, settings)) continue;
      const binding = `${policy.id}\0${JSON.stringify(versionedDefaults(policy, settings))}`;
      if (bindings.has(binding)) continue;
      bindings.add(binding);
      await createEngine([policy], settings, { schemaCompilers });
    }
  }
  // One ajv per mode holds every schema; each policy's file has the code of its own schemas.
  const sourceAjv = (allErrors: boolean): Ajv2020 => {
    const ajv = createRuleAjv({ allErrors, source: true });
    for (const key of [...schemas.keys()].sort()) ajv.addSchema(schemas.get(key)!, key);
    return ajv;
  };
  // ajv writes CommonJS (its runtime helpers are `require`d). Each table is a factory taking the
  // keywords' runtime; the all-errors one is read only when a rule fails.
  const table = (ajv: Ajv2020, keys: Set<string>) =>
    [
      '// Written by `npm run build` (src/policies/write-library.ts) from policies/: do not edit.',
      `module.exports = function validators(${keywordRuntimeName.str}) {`,
      'const exports = {};',
      standaloneCode.default(ajv, Object.fromEntries([...keys].sort().map((key) => [key, key]))),
      'return exports;',
      '};',
      '',
    ].join('\n');
  const validatorsDir = path.join(outDir, 'validators');
  rmSync(validatorsDir, { recursive: true, force: true });
  mkdirSync(validatorsDir, { recursive: true });
  for (const allErrors of [false, true]) {
    const ajv = sourceAjv(allErrors);
    for (const [policyId, keys] of keysOf) {
      if (keys.size === 0) continue;
      writeFileSync(path.join(validatorsDir, validatorFileName(policyId, allErrors)), table(ajv, keys));
    }
  }
  const library: PolicyLibrary = {
    files: libraryFileDigests(builtinPolicyDir),
    policies: policies.map((policy) => ({ ...policy, file: path.relative(builtinPolicyDir, policy.file) })),
  };
  writeFileSync(path.join(outDir, 'policies.json'), JSON.stringify(library));
}

// Run by `npm run build`, after tsc: dist/library/.
if (process.argv[1] && /write-library\.[jt]s$/.test(process.argv[1])) await writePolicyLibrary();
