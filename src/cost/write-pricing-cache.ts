import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  builtinPricingCacheFile,
  builtinPricingDir,
  parsePricingYaml,
  pricingFileProblem,
  pricingTextHash,
} from './catalogue.js';

/**
 * The parsed YAML of every valid pricing file in `dir`, by the hash of its text: what
 * builtinPricingCache() reads. A file that JSON would not carry exactly (or that is invalid, so that
 * its error comes from the YAML as before) is left out and parsed at load.
 */
export function pricingCacheOf(dir: string = builtinPricingDir): { files: Record<string, unknown> } {
  const files: Record<string, unknown> = {};
  const names = readdirSync(dir)
    .filter((name) => name.endsWith('.yaml') || name.endsWith('.yml'))
    .sort();
  for (const name of names) {
    const file = join(dir, name);
    const text = readFileSync(file, 'utf8');
    const data = parsePricingYaml(text, file);
    if (pricingFileProblem(data)) continue;
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(data)), data)) continue;
    files[pricingTextHash(text)] = data;
  }
  return { files };
}

// Run by `npm run build`, after tsc: dist/cost/builtin-pricing.json.
if (process.argv[1] && /write-pricing-cache\.[jt]s$/.test(process.argv[1])) {
  writeFileSync(builtinPricingCacheFile, JSON.stringify(pricingCacheOf()));
}
