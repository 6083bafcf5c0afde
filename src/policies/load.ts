import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import { firstAmbiguousScalar } from '../inputs/kubernetes-scalars.js';
import { describeError, ParapetError } from '../model/errors.js';
import type { Policy, PolicyDocument } from '../model/policy.js';
import { policyDirectoryFiles } from './files.js';
import { precompiledBuiltinPolicies } from './library.js';
import { builtinPolicyDir } from './paths.js';
import { policySchema } from './schema.js';
import { policySourceLoaders } from './sources.js';

const MAX_POLICY_FILE_BYTES = 4 * 1024 * 1024;

const requireCommonJs = createRequire(import.meta.url);
let validatePolicy: ValidateFunction | undefined;
/** Compiled for the first policy file read from YAML: the precompiled built-in library needs none. */
function policyValidator(): ValidateFunction {
  if (!validatePolicy) {
    // ajv is CommonJS, so it can be loaded here, synchronously.
    const { Ajv2020 } = requireCommonJs('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    const ajv = new Ajv2020({ strict: false, allErrors: false });
    validatePolicy = ajv.compile(policySchema);
  }
  return validatePolicy;
}

/** `rule/schema/target: must be one of body, podSpec, containers, resource` */
function describeSchemaError(error: ErrorObject): string {
  let where = error.instancePath.slice(1).replace(/\//g, '.');
  if (error.keyword === 'required')
    where = where ? `${where}.${String(error.params.missingProperty)}` : String(error.params.missingProperty);
  if (error.keyword === 'additionalProperties') {
    const extra = String(error.params.additionalProperty);
    return `${where ? where + '.' : ''}${extra}: unknown field`;
  }
  const allowed =
    error.keyword === 'enum' ? ` (${(error.params.allowedValues as unknown[]).join(', ')})` : '';
  const message = error.keyword === 'required' ? 'is required' : `${error.message ?? 'is invalid'}${allowed}`;
  return `${where || '(top level)'}: ${message}`;
}

export interface LoadPoliciesOptions {
  /** Extra policy directories or files (`--policies`). */
  paths?: string[];
  /** Include the built-in library (default true). */
  builtin?: boolean;
  /** Options for source loaders (Conftest namespace ...). */
  sourceOptions?: Record<string, unknown>;
  /** Read the built-in library from its precompiled form when that is current (default true). */
  precompiled?: boolean;
}

/** Parse and validate one native policy file. Errors name the file and the field. */
export function loadPolicyFile(file: string, options: { builtin?: boolean; text?: string } = {}): Policy {
  let text = options.text;
  if (text === undefined) {
    try {
      if (statSync(file).size > MAX_POLICY_FILE_BYTES) {
        throw new ParapetError('PARAPET_POLICY_READ', `${file}: policy file is larger than 4 MiB`, { file });
      }
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if (error instanceof ParapetError) throw error;
      throw new ParapetError(
        'PARAPET_POLICY_READ',
        `${file}: cannot read policy file: ${describeError(error)}`,
        { file },
      );
    }
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const pos = lineCounter.linePos(first.pos[0]);
    const reason = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ParapetError(
      'PARAPET_POLICY_INVALID',
      `${file}:${pos.line}:${pos.col}: invalid YAML: ${reason}`,
      { file },
    );
  }
  const ambiguous = firstAmbiguousScalar(doc);
  if (ambiguous) {
    const pos = lineCounter.linePos(ambiguous.offset);
    throw new ParapetError('PARAPET_POLICY_INVALID', `${file}:${pos.line}:${pos.col}: ${ambiguous.message}`, {
      file,
    });
  }
  const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
  const validate = policyValidator();
  if (!validate(value)) {
    throw new ParapetError(
      'PARAPET_POLICY_INVALID',
      `${file}: ${describeSchemaError(validate.errors![0]!)}`,
      { file },
    );
  }
  const document = value as PolicyDocument;
  return {
    ...document,
    tags: document.tags ?? [],
    references: document.references ?? [],
    file,
    builtin: options.builtin ?? false,
  };
}

function isPolicyCandidate(file: string): boolean {
  if (!/\.ya?ml$/i.test(file)) return false;
  // Data that lives beside policies (price catalogues, parameter files) is not a policy:
  // a policy file has a top-level `rule:` or `id:` key.
  const text = readFileSync(file, 'utf8');
  return /^(rule|id):/m.test(text);
}

async function loadDirectory(
  dir: string,
  builtin: boolean,
  sourceOptions: Record<string, unknown>,
): Promise<Policy[]> {
  let files: string[];
  try {
    files = statSync(dir).isDirectory() ? policyDirectoryFiles(dir) : [dir];
  } catch (error) {
    throw new ParapetError(
      'PARAPET_POLICY_READ',
      `${dir}: cannot read policy directory: ${describeError(error)}`,
      { file: dir },
    );
  }
  const policies: Policy[] = [];
  let remaining = files;
  for (const loader of policySourceLoaders) {
    const loaded = await loader.load(dir, remaining, { builtin, options: sourceOptions });
    policies.push(...loaded.policies);
    const claimed = new Set(loaded.claimed);
    remaining = remaining.filter((file) => !claimed.has(file));
  }
  for (const file of remaining) {
    if (files.length === 1 || isPolicyCandidate(file)) policies.push(loadPolicyFile(file, { builtin }));
  }
  return policies;
}

/** Load the built-in library and/or extra policy paths. Duplicate ids are an error naming both files. */
export async function loadPolicies(options: LoadPoliciesOptions = {}): Promise<Policy[]> {
  const sources: Array<{ dir: string; builtin: boolean }> = [];
  if (options.builtin ?? true) sources.push({ dir: builtinPolicyDir, builtin: true });
  for (const dir of options.paths ?? []) sources.push({ dir, builtin: false });
  const byId = new Map<string, Policy>();
  for (const source of sources) {
    const loaded =
      (source.builtin && options.precompiled !== false && precompiledBuiltinPolicies()) ||
      (await loadDirectory(source.dir, source.builtin, options.sourceOptions ?? {}));
    for (const policy of loaded) {
      const existing = byId.get(policy.id);
      if (existing) {
        throw new ParapetError(
          'PARAPET_POLICY_DUPLICATE',
          `${policy.file}: policy id "${policy.id}" is already defined in ${existing.file}`,
          { file: policy.file },
        );
      }
      byId.set(policy.id, policy);
    }
  }
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
