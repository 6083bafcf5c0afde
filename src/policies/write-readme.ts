import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { withCatalogue } from './catalogue.js';
import { loadPolicies } from './load.js';
import { packageRoot } from './paths.js';

/** README.md with its policy catalogue regenerated from the built-in library (`npm run readme`). */
export async function readmeWithCatalogue(readmeFile = path.join(packageRoot, 'README.md')): Promise<string> {
  const policies = await loadPolicies({ builtin: true });
  return withCatalogue(readFileSync(readmeFile, 'utf8'), policies);
}

if (process.argv[1] && /write-readme\.[jt]s$/.test(process.argv[1])) {
  const file = path.join(packageRoot, 'README.md');
  writeFileSync(file, await readmeWithCatalogue(file));
}
