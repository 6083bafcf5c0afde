import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  builtinPricingDir,
  parsePricingFile,
  pricingTextHash,
  type PricingCache,
} from '../../src/cost/catalogue.js';
import { pricingCacheOf } from '../../src/cost/write-pricing-cache.js';

const cacheOf = (dir: string): PricingCache => new Map(Object.entries(pricingCacheOf(dir).files));
const builtinFiles = readdirSync(builtinPricingDir)
  .filter((name) => name.endsWith('.yaml'))
  .sort()
  .map((name) => path.join(builtinPricingDir, name));

describe('build-time cache of the built-in pricing files', () => {
  const cache = cacheOf(builtinPricingDir);

  it('holds every built-in file, by the hash of its text', () => {
    expect([...cache.keys()].sort()).toEqual(
      builtinFiles.map((file) => pricingTextHash(readFileSync(file, 'utf8'))).sort(),
    );
  });

  it('gives the same prices as parsing the YAML', () => {
    for (const file of builtinFiles) {
      const text = readFileSync(file, 'utf8');
      expect(parsePricingFile(text, file, cache), file).toEqual(parsePricingFile(text, file, new Map()));
    }
  });

  it('is what the loader reads for a text of a known hash', () => {
    const file = path.join(builtinPricingDir, 'aws.yaml');
    const text = readFileSync(file, 'utf8');
    const data = structuredClone(cache.get(pricingTextHash(text))) as {
      tables: { 'ec2-instance': { regions: { 'us-east-1': { m5: { large: number } } } } };
    };
    data.tables['ec2-instance'].regions['us-east-1'].m5.large = 1.5;
    const prices = parsePricingFile(text, file, new Map([[pricingTextHash(text), data]]));
    expect(prices.tables.get('ec2-instance')?.regions.get('us-east-1')?.get('m5.large')).toBe(1.5);
  });

  it('is ignored once the YAML is edited: the edit counts', () => {
    const file = path.join(builtinPricingDir, 'aws.yaml');
    const text = readFileSync(file, 'utf8');
    const edited = text.replace('m5: { large: 0.096,', 'm5: { large: 0.5,');
    expect(edited).not.toBe(text);
    const prices = parsePricingFile(edited, file, cache);
    expect(prices.tables.get('ec2-instance')?.regions.get('us-east-1')?.get('m5.large')).toBe(0.5);
    // The alias of us-east-1 follows the edit too.
    expect(prices.tables.get('ec2-instance')?.regions.get('us-west-2')?.get('m5.large')).toBe(0.5);
  });
});

describe('pricing files the cache leaves to the YAML parser', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parapet-pricing-cache-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an invalid file keeps its error', () => {
    writeFileSync(path.join(dir, 'invalid.yaml'), readFileSync('fixtures/cost/pricing-invalid.yaml'));
    expect(pricingCacheOf(dir).files).toEqual({});
    rmSync(path.join(dir, 'invalid.yaml'));
  });

  it('a value JSON cannot carry exactly (-0) is not cached', () => {
    const text = readFileSync('fixtures/cost/pricing-override.yaml', 'utf8');
    writeFileSync(path.join(dir, 'plain.yaml'), text);
    writeFileSync(path.join(dir, 'zero.yaml'), text.replace('0.0816', '-0'));
    expect(Object.keys(pricingCacheOf(dir).files)).toEqual([pricingTextHash(text)]);
  });
});
