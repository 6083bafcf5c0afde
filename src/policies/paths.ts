import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ParapetError } from '../model/errors.js';

/** The package root: two levels above this file, in `src/` and in `dist/` alike. */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The built-in policy library. */
export const builtinPolicyDir = path.join(packageRoot, 'policies');

/** `target` (a real path) is `root` or below it. */
export function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** The real path of `file`, or of its nearest existing parent joined with the rest. */
export function realPathOf(file: string): string {
  const absolute = path.resolve(file);
  try {
    return realpathSync(absolute);
  } catch {
    const parent = path.dirname(absolute);
    return parent === absolute ? absolute : path.join(realPathOf(parent), path.basename(absolute));
  }
}

/**
 * A file a policy names (`module`, `data`) resolved against the policy's directory, refused when it
 * leads outside that directory's tree (`../`, an absolute path or a symbolic link): a policy from
 * a repository under review must not read the runner's files into a report.
 */
export function policyFilePath(policyFile: string, entry: string, key: string): string {
  const base = path.dirname(policyFile);
  const joined = path.join(base, entry);
  if (!isInside(realPathOf(base), realPathOf(joined)))
    throw new ParapetError(
      'PARAPET_POLICY_INVALID',
      `${policyFile}: rule.${key}: "${entry}" is outside the policy's directory; a policy reads only files beside it or below it`,
      { file: policyFile },
    );
  return joined;
}
