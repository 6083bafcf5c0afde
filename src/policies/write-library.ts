import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { AnySchema } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { createRuleAjv, type Ajv2020 } from '../engine/ajv.js';
import { createEngine } from '../engine/engine.js';
import { keywordRuntimeName } from '../engine/keywords/index.js';
import { schemaKey, type SchemaCompiler } from '../engine/rule-schemas.js';
import { guardContains } from '../engine/schema-guard.js';
import { defaultSettings } from '../model/settings.js';
import { libraryFileDigests, policyLibraryFile, type PolicyLibrary } from './library.js';
import { loadPolicies } from './load.js';
import { builtinPolicyDir } from './paths.js';

/**
 * The built-in library in the form `parapet` loads without parsing YAML or compiling schemas: the
 * policies as JSON, and the validators of every schema their rules compile (with default
 * parameters) as ajv's standalone code, first-error and all-errors.
 */
export async function writePolicyLibrary(outDir: string = path.dirname(policyLibraryFile)): Promise<void> {
  const policies = await loadPolicies({ builtin: true, precompiled: false });
  for (const policy of policies) {
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(policy)), policy))
      throw new Error(`${policy.file}: the policy does not survive a JSON round trip`);
  }
  const schemas = new Map<string, AnySchema>();
  const recorder = (ajv: Ajv2020): SchemaCompiler => ({
    compile(schema) {
      const guarded = guardContains(schema);
      schemas.set(schemaKey(guarded), guarded);
      return ajv.compile(guarded);
    },
  });
  // Compiling the engine is what finds the schemas: rules decide which of their parts ajv compiles.
  await createEngine(policies, defaultSettings(), {
    schemaCompilers: { ajv: recorder(createRuleAjv()), ajvAllErrors: recorder(createRuleAjv()) },
  });
  const moduleCode = (allErrors: boolean): string => {
    const ajv = createRuleAjv({ allErrors, source: true });
    const keys = [...schemas.keys()].sort();
    for (const key of keys) ajv.addSchema(schemas.get(key)!, key);
    return standaloneCode.default(ajv, Object.fromEntries(keys.map((key) => [key, key])));
  };
  // ajv writes CommonJS (its runtime helpers are `require`d); each table is built on first use.
  const table = (name: string, allErrors: boolean) =>
    `export function ${name}() {\n  const exports = {};\n${moduleCode(allErrors)}\n  return exports;\n}\n`;
  const validators = [
    '// Written by `npm run build` (src/policies/write-library.ts) from policies/: do not edit.',
    "import { createRequire } from 'node:module';",
    `import { keywordRuntime as ${keywordRuntimeName.str} } from '../engine/keywords/runtime.js';`,
    'const require = createRequire(import.meta.url);',
    table('firstError', false),
    table('allErrors', true),
  ].join('\n');
  const library: PolicyLibrary = {
    files: libraryFileDigests(builtinPolicyDir),
    policies: policies.map((policy) => ({ ...policy, file: path.relative(builtinPolicyDir, policy.file) })),
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'validators.js'), validators);
  writeFileSync(path.join(outDir, 'policies.json'), JSON.stringify(library));
}

// Run by `npm run build`, after tsc: dist/library/.
if (process.argv[1] && /write-library\.[jt]s$/.test(process.argv[1])) await writePolicyLibrary();
