import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { AnySchema } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { createRuleAjv, type Ajv2020 } from '../engine/ajv.js';
import { createEngine, runPolicies } from '../engine/engine.js';
import { keywordRuntimeName } from '../engine/keywords/index.js';
import { schemaKey, type SchemaCompiler } from '../engine/rule-schemas.js';
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
  const schemas = new Map<string, AnySchema>();
  const recorder = (ajv: Ajv2020): SchemaCompiler => ({
    ahead: true,
    compile(schema) {
      const guarded = guardContains(schema);
      schemas.set(schemaKey(guarded), guarded);
      return ajv.compile(guarded);
    },
  });
  // Compiling the engine is what finds the schemas: rules decide which of their parts ajv compiles.
  const schemaCompilers = { ajv: recorder(createRuleAjv()), ajvAllErrors: recorder(createRuleAjv()) };
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
  const moduleCode = (allErrors: boolean): string => {
    const ajv = createRuleAjv({ allErrors, source: true });
    const keys = [...schemas.keys()].sort();
    for (const key of keys) ajv.addSchema(schemas.get(key)!, key);
    return standaloneCode.default(ajv, Object.fromEntries(keys.map((key) => [key, key])));
  };
  // ajv writes CommonJS (its runtime helpers are `require`d). Each table is a factory taking the
  // keywords' runtime, in its own file, so the all-errors one is read only when a rule fails.
  const table = (allErrors: boolean) =>
    [
      '// Written by `npm run build` (src/policies/write-library.ts) from policies/: do not edit.',
      `module.exports = function validators(${keywordRuntimeName.str}) {`,
      'const exports = {};',
      moduleCode(allErrors),
      'return exports;',
      '};',
      '',
    ].join('\n');
  const library: PolicyLibrary = {
    files: libraryFileDigests(builtinPolicyDir),
    policies: policies.map((policy) => ({ ...policy, file: path.relative(builtinPolicyDir, policy.file) })),
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'validators-first-error.cjs'), table(false));
  writeFileSync(path.join(outDir, 'validators-all-errors.cjs'), table(true));
  writeFileSync(path.join(outDir, 'policies.json'), JSON.stringify(library));
}

// Run by `npm run build`, after tsc: dist/library/.
if (process.argv[1] && /write-library\.[jt]s$/.test(process.argv[1])) await writePolicyLibrary();
