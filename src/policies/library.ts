import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Policy } from '../model/policy.js';
import { markPrecompiled } from '../engine/rule-schemas.js';
import { policyDirectoryFiles } from './files.js';
import { builtinPolicyDir } from './paths.js';

/**
 * The built-in library as the build writes it (dist/library/policies.json): every policy as JSON,
 * and a digest of every file of the library directory it was read from.
 */
export interface PolicyLibrary {
  /** Digest of each file below the library directory, by path relative to it. */
  files: Record<string, string>;
  /** The policies, `file` relative to the library directory. */
  policies: Policy[];
}

export const policyLibraryFile = fileURLToPath(new URL('../library/policies.json', import.meta.url));

export function fileDigest(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The digests of the library directory's files, as {@link PolicyLibrary.files} records them. */
export function libraryFileDigests(dir: string = builtinPolicyDir): Record<string, string> {
  const files: Record<string, string> = {};
  for (const file of policyDirectoryFiles(dir)) files[path.relative(dir, file)] = fileDigest(file);
  return files;
}

/**
 * The built-in policies from the precompiled library, or undefined when there is none (running
 * from sources), when `PARAPET_NO_PRECOMPILED` is set, or when any file of the library directory
 * changed since the build: the YAML is then read as for any other policy directory.
 */
export function precompiledBuiltinPolicies(dir: string = builtinPolicyDir): Policy[] | undefined {
  if (process.env.PARAPET_NO_PRECOMPILED) return undefined;
  let library: PolicyLibrary;
  try {
    library = JSON.parse(readFileSync(policyLibraryFile, 'utf8')) as PolicyLibrary;
  } catch {
    return undefined;
  }
  const files = policyDirectoryFiles(dir);
  if (files.length !== Object.keys(library.files).length) return undefined;
  for (const file of files) {
    if (library.files[path.relative(dir, file)] !== fileDigest(file)) return undefined;
  }
  return library.policies.map((stored) => {
    const policy: Policy = { ...stored, file: path.join(dir, stored.file) };
    markPrecompiled(policy);
    return policy;
  });
}
