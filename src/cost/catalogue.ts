import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ParapetError } from '../model/errors.js';
import type { PriceProvenance } from './types.js';

/** The price catalogue shipped with parapet: `policies/cost/pricing/` beside the cost policies. */
export const builtinPricingDir = fileURLToPath(new URL('../../policies/cost/pricing/', import.meta.url));

/**
 * The parsed built-in pricing files, written next to this module by `npm run build`
 * (src/cost/write-pricing-cache.ts). The YAML stays the source: an entry is used only for a file
 * whose text has exactly the hash it was made from, so an edited file is parsed again.
 */
export const builtinPricingCacheFile = fileURLToPath(new URL('./builtin-pricing.json', import.meta.url));

/** sha256 (hex) of a pricing file's text -> its parsed YAML. */
export type PricingCache = Map<string, unknown>;

/** The key of a pricing file's text in a PricingCache. */
export function pricingTextHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

let builtinCache: PricingCache | undefined;

/**
 * The build-time cache of the built-in pricing files; empty when it is missing or unreadable (then
 * every file is parsed as YAML). The catalogue's anchors send it to the general YAML parser, which
 * costs over 100 ms on a cold process; this JSON costs well under one.
 */
export function builtinPricingCache(): PricingCache {
  if (!builtinCache) {
    builtinCache = new Map();
    try {
      const files = (JSON.parse(readFileSync(builtinPricingCacheFile, 'utf8')) as { files?: unknown }).files;
      if (isPlainObject(files)) for (const hash of Object.keys(files)) builtinCache.set(hash, files[hash]);
    } catch {
      // No cache (running from source, or not built yet): parse the YAML.
    }
  }
  return builtinCache;
}

/** One table of a pricing file: prices for one product, per region and key. */
export interface PriceTable {
  description: string;
  unit: string;
  usageBased: boolean;
  /** Multi-AZ / high-availability deployments cost this many times the single-zone price. */
  multiAzMultiplier?: number;
  source: string;
  date: string;
  method: 'transcribed' | 'price-list-api';
  /** region (or `*`) -> flattened key (`m5.large`, `mysql.db.t3.large`) -> price. */
  regions: Map<string, Map<string, number>>;
}

/** One provider's pricing file after validation. */
export interface ProviderPrices {
  provider: string;
  currency: string;
  file: string;
  defaultProfile?: string;
  tables: Map<string, PriceTable>;
}

/** A found price with its provenance. */
export interface PriceQuote extends PriceProvenance {
  /** The provenance fields alone, shared by every component priced from this quote. */
  provenance: PriceProvenance;
  price: number;
  unit: string;
  usageBased: boolean;
  multiAzMultiplier?: number;
}

/** Why a price was not found: the reason is shown to users as is. */
export interface PriceMiss {
  reason: string;
}

export type PriceLookup = PriceQuote | PriceMiss;

export function isQuote(lookup: PriceLookup): lookup is PriceQuote {
  return (lookup as PriceQuote).price !== undefined;
}

type Problem = { path: string; message: string };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkPriceMap(value: unknown, path: string): Problem | undefined {
  if (!isPlainObject(value)) return { path, message: 'must be an object of prices' };
  for (const [key, entry] of Object.entries(value)) {
    const where = `${path}/${key}`;
    if (typeof entry === 'number') {
      if (!Number.isFinite(entry) || entry < 0)
        return { path: where, message: 'must be a price of 0 or more' };
    } else if (isPlainObject(entry)) {
      const problem = checkPriceMap(entry, where);
      if (problem) return problem;
    } else return { path: where, message: 'must be number' };
  }
  return undefined;
}

const tableFields: Record<string, (value: unknown) => string | undefined> = {
  description: (v) => (typeof v === 'string' ? undefined : 'must be a string'),
  unit: (v) => (typeof v === 'string' && v !== '' ? undefined : 'must be a non-empty string'),
  usageBased: (v) => (typeof v === 'boolean' ? undefined : 'must be true or false'),
  multiAzMultiplier: (v) => (typeof v === 'number' && v > 0 ? undefined : 'must be a number above 0'),
  source: (v) => (typeof v === 'string' && v !== '' ? undefined : 'must be a non-empty string'),
  date: (v) =>
    typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)
      ? undefined
      : 'must be a date (YYYY-MM-DD, quoted)',
  method: (v) =>
    v === 'transcribed' || v === 'price-list-api' ? undefined : 'must be transcribed or price-list-api',
  regions: () => undefined,
};
const requiredTableFields = ['description', 'unit', 'source', 'date', 'method', 'regions'];

/**
 * The first problem of a parsed pricing file (format documented at the top of
 * `policies/cost/pricing/aws.yaml`), as a JSON pointer and a message. Hand-written rather than ajv:
 * the catalogue loads on every cost run, and compiling a schema would cost more than the check.
 */
export function pricingFileProblem(data: unknown): Problem | undefined {
  if (!isPlainObject(data))
    return { path: '/', message: 'must be a mapping with provider, currency and tables' };
  for (const key of Object.keys(data)) {
    if (!['provider', 'currency', 'defaultProfile', 'tables'].includes(key))
      return {
        path: `/${key}`,
        message: 'is not a known field (provider, currency, defaultProfile, tables)',
      };
  }
  if (typeof data.provider !== 'string' || data.provider === '')
    return { path: '/provider', message: 'must be a non-empty string' };
  if (typeof data.currency !== 'string' || !/^[A-Z]{3}$/.test(data.currency))
    return { path: '/currency', message: 'must be a three-letter currency code' };
  if (data.defaultProfile !== undefined && typeof data.defaultProfile !== 'string')
    return { path: '/defaultProfile', message: 'must be a string' };
  if (!isPlainObject(data.tables) || Object.keys(data.tables).length === 0)
    return { path: '/tables', message: 'must map table names to tables' };
  for (const [name, table] of Object.entries(data.tables)) {
    const base = `/tables/${name}`;
    if (!isPlainObject(table)) return { path: base, message: 'must be a mapping' };
    for (const field of requiredTableFields)
      if (table[field] === undefined)
        return { path: base, message: `must have required property '${field}'` };
    for (const [field, value] of Object.entries(table)) {
      const check = tableFields[field];
      if (!check) return { path: `${base}/${field}`, message: 'is not a known table field' };
      const message = check(value);
      if (message) return { path: `${base}/${field}`, message };
    }
    if (!isPlainObject(table.regions) || Object.keys(table.regions).length === 0)
      return { path: `${base}/regions`, message: 'must map regions to prices' };
    for (const [region, prices] of Object.entries(table.regions)) {
      const problem = checkPriceMap(prices, `${base}/regions/${region}`);
      if (problem) return problem;
    }
  }
  return undefined;
}

function flatten(prefix: string, value: Record<string, unknown>, out: Map<string, number>): void {
  for (const [key, entry] of Object.entries(value)) {
    const flat = prefix === '' ? key : `${prefix}.${key}`;
    if (typeof entry === 'number') out.set(flat, entry);
    else flatten(flat, entry as Record<string, unknown>, out);
  }
}

/** The YAML of a pricing file as plain data; throws a one-line error naming the file. */
export function parsePricingYaml(text: string, file: string): unknown {
  try {
    return parseYaml(text, { maxAliasCount: 1000 }) as unknown;
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ParapetError('PARAPET_PRICING_INVALID', `${file}: not valid YAML: ${detail}`, {
      file,
      cause: error,
    });
  }
}

/**
 * Parse and validate one pricing file's text; errors name the file and the offending field. Text
 * found in `cache` (by hash) is not parsed again.
 */
export function parsePricingFile(
  text: string,
  file: string,
  cache: PricingCache = builtinPricingCache(),
): ProviderPrices {
  const data =
    (cache.size > 0 ? cache.get(pricingTextHash(text)) : undefined) ?? parsePricingYaml(text, file);
  const problem = pricingFileProblem(data);
  if (problem)
    throw new ParapetError('PARAPET_PRICING_INVALID', `${file}: ${problem.path} ${problem.message}`, {
      file,
    });
  const document = data as {
    provider: string;
    currency: string;
    defaultProfile?: string;
    tables: Record<
      string,
      Omit<PriceTable, 'regions' | 'usageBased'> & {
        usageBased?: boolean;
        regions: Record<string, Record<string, unknown>>;
      }
    >;
  };
  const tables = new Map<string, PriceTable>();
  for (const [name, table] of Object.entries(document.tables)) {
    const regions = new Map<string, Map<string, number>>();
    for (const [region, prices] of Object.entries(table.regions)) {
      const flat = new Map<string, number>();
      flatten('', prices, flat);
      regions.set(region, flat);
    }
    tables.set(name, { ...table, usageBased: table.usageBased ?? false, regions });
  }
  return {
    provider: document.provider,
    currency: document.currency,
    defaultProfile: document.defaultProfile,
    file,
    tables,
  };
}

/** The prices of every provider, with lookups that say why a price is missing. */
export class PriceCatalogue {
  readonly providers: Map<string, ProviderPrices>;
  readonly currency: string;

  constructor(files: ProviderPrices[]) {
    this.providers = new Map();
    const currencies = new Set(files.map((file) => file.currency));
    if (currencies.size > 1) {
      throw new ParapetError(
        'PARAPET_PRICING_INVALID',
        `pricing files mix currencies (${[...currencies].sort().join(', ')}); use one currency`,
      );
    }
    for (const file of files) {
      const existing = this.providers.get(file.provider);
      if (existing) {
        // A later file (user overrides) adds or replaces whole tables of the same provider.
        for (const [name, table] of file.tables) existing.tables.set(name, table);
      } else {
        this.providers.set(file.provider, { ...file, tables: new Map(file.tables) });
      }
    }
    this.currency = files[0]?.currency ?? 'USD';
  }

  /** provider -> table -> region ('' when none) -> key -> answer; nested so that no key string is built per lookup. */
  private readonly cache = new Map<string, Map<string, Map<string, Map<string, PriceLookup>>>>();

  /** The price of `key` in `table` for `region`, or the reason there is none. Memoised: estimates look up the same few prices again and again. */
  lookup(provider: string, tableName: string, region: string | undefined, key: string): PriceLookup {
    let tables = this.cache.get(provider);
    if (!tables) this.cache.set(provider, (tables = new Map()));
    let regions = tables.get(tableName);
    if (!regions) tables.set(tableName, (regions = new Map()));
    let keys = regions.get(region ?? '');
    if (!keys) regions.set(region ?? '', (keys = new Map()));
    let found = keys.get(key);
    if (found === undefined) {
      found = this.find(provider, tableName, region, key);
      keys.set(key, found);
    }
    return found;
  }

  private find(provider: string, tableName: string, region: string | undefined, key: string): PriceLookup {
    const prices = this.providers.get(provider);
    if (!prices) return { reason: `no ${provider} prices in the catalogue` };
    const table = prices.tables.get(tableName);
    if (!table) return { reason: `no ${provider} ${tableName} prices in the catalogue` };
    if (region === undefined || region === '') {
      const anywhere = table.regions.get('*');
      if (!anywhere) return { reason: 'the region is unknown' };
      return this.quote(prices, tableName, table, '*', anywhere, key);
    }
    const regional = table.regions.get(region) ?? table.regions.get('*');
    if (!regional) return { reason: `region ${region} has no ${tableName} prices in the catalogue` };
    return this.quote(prices, tableName, table, table.regions.has(region) ? region : '*', regional, key);
  }

  /** The metadata of a table, for reasons and usage-based listings. */
  table(provider: string, tableName: string): PriceTable | undefined {
    return this.providers.get(provider)?.tables.get(tableName);
  }

  private quote(
    prices: ProviderPrices,
    tableName: string,
    table: PriceTable,
    region: string,
    regional: Map<string, number>,
    key: string,
  ): PriceLookup {
    const price = regional.get(key);
    if (price === undefined) {
      const where = region === '*' ? '' : ` in ${region}`;
      return { reason: `${key} has no ${tableName} price${where} in the catalogue` };
    }
    const provenance: PriceProvenance = {
      provider: prices.provider,
      table: tableName,
      region,
      key,
      source: table.source,
      date: table.date,
    };
    return {
      ...provenance,
      provenance,
      price,
      unit: table.unit,
      usageBased: table.usageBased,
      multiAzMultiplier: table.multiAzMultiplier,
    };
  }
}

/** Every `*.yaml` pricing file in `dir`, sorted by name so overrides apply in a stable order. */
export function readPricingDir(dir: string): ProviderPrices[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.yaml') || name.endsWith('.yml'));
  } catch (error) {
    throw new ParapetError('PARAPET_PRICING_INVALID', `${dir}: cannot read the pricing directory`, {
      file: dir,
      cause: error,
    });
  }
  return names.sort().map((name) => readPricingFile(join(dir, name)));
}

/** Read and validate one pricing file. */
export function readPricingFile(file: string): ProviderPrices {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ParapetError('PARAPET_PRICING_INVALID', `${file}: cannot read the pricing file`, {
      file,
      cause: error,
    });
  }
  return parsePricingFile(text, file);
}

const catalogueCache = new Map<string, PriceCatalogue>();

/**
 * The built-in catalogue, followed by the files of `extraPaths` (files or directories) whose tables
 * replace built-in tables of the same provider and name. Cached per argument list.
 */
export function loadPriceCatalogue(extraPaths: string[] = []): PriceCatalogue {
  const cacheKey = extraPaths.join('\0');
  const cached = catalogueCache.get(cacheKey);
  if (cached) return cached;
  const files = readPricingDir(builtinPricingDir);
  for (const path of extraPaths) {
    files.push(
      ...(path.endsWith('.yaml') || path.endsWith('.yml') ? [readPricingFile(path)] : readPricingDir(path)),
    );
  }
  const catalogue = new PriceCatalogue(files);
  catalogueCache.set(cacheKey, catalogue);
  return catalogue;
}
