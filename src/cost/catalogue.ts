import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { ParapetError } from '../model/errors.js';
import type { PriceProvenance } from './types.js';

/** The price catalogue shipped with parapet: `policies/cost/pricing/` beside the cost policies. */
export const builtinPricingDir = fileURLToPath(new URL('../../policies/cost/pricing/', import.meta.url));

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

const priceMap = {
  type: 'object',
  additionalProperties: { anyOf: [{ type: 'number', minimum: 0 }, { $ref: '#/$defs/priceMap' }] },
} as const;

/** JSON Schema of a pricing file (documented at the top of `policies/cost/pricing/aws.yaml`). */
export const pricingFileSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['provider', 'currency', 'tables'],
  additionalProperties: false,
  $defs: { priceMap },
  properties: {
    provider: { type: 'string', minLength: 1 },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    defaultProfile: { type: 'string' },
    tables: {
      type: 'object',
      minProperties: 1,
      additionalProperties: {
        type: 'object',
        required: ['description', 'unit', 'source', 'date', 'method', 'regions'],
        additionalProperties: false,
        properties: {
          description: { type: 'string' },
          unit: { type: 'string', minLength: 1 },
          usageBased: { type: 'boolean' },
          multiAzMultiplier: { type: 'number', exclusiveMinimum: 0 },
          source: { type: 'string', minLength: 1 },
          date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
          method: { enum: ['transcribed', 'price-list-api'] },
          regions: { type: 'object', minProperties: 1, additionalProperties: { $ref: '#/$defs/priceMap' } },
        },
      },
    },
  },
} as const;

let validatePricingFile: ReturnType<Ajv2020['compile']> | undefined;

function flatten(prefix: string, value: Record<string, unknown>, out: Map<string, number>): void {
  for (const [key, entry] of Object.entries(value)) {
    const flat = prefix === '' ? key : `${prefix}.${key}`;
    if (typeof entry === 'number') out.set(flat, entry);
    else flatten(flat, entry as Record<string, unknown>, out);
  }
}

/** Parse and validate one pricing file's text; errors name the file and the offending field. */
export function parsePricingFile(text: string, file: string): ProviderPrices {
  let data: unknown;
  try {
    data = parseYaml(text, { maxAliasCount: 1000 });
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ParapetError('PARAPET_PRICING_INVALID', `${file}: not valid YAML: ${detail}`, { file, cause: error });
  }
  validatePricingFile ??= new Ajv2020({ strict: false, allErrors: false }).compile(pricingFileSchema);
  if (!validatePricingFile(data)) {
    // Inside anyOf the deepest error names the offending value; the first one only its parent.
    const error = [...(validatePricingFile.errors ?? [])].sort((a, b) => b.instancePath.length - a.instancePath.length)[0];
    const where = error?.instancePath || '/';
    throw new ParapetError('PARAPET_PRICING_INVALID', `${file}: ${where} ${error?.message ?? 'is invalid'}`, { file });
  }
  const document = data as {
    provider: string;
    currency: string;
    defaultProfile?: string;
    tables: Record<string, Omit<PriceTable, 'regions' | 'usageBased'> & { usageBased?: boolean; regions: Record<string, Record<string, unknown>> }>;
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
  return { provider: document.provider, currency: document.currency, defaultProfile: document.defaultProfile, file, tables };
}

/** The prices of every provider, with lookups that say why a price is missing. */
export class PriceCatalogue {
  readonly providers: Map<string, ProviderPrices>;
  readonly currency: string;

  constructor(files: ProviderPrices[]) {
    this.providers = new Map();
    const currencies = new Set(files.map((file) => file.currency));
    if (currencies.size > 1) {
      throw new ParapetError('PARAPET_PRICING_INVALID', `pricing files mix currencies (${[...currencies].sort().join(', ')}); use one currency`);
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

  /** The price of `key` in `table` for `region`, or the reason there is none. */
  lookup(provider: string, tableName: string, region: string | undefined, key: string): PriceLookup {
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
    return {
      provider: prices.provider,
      table: tableName,
      region,
      key,
      source: table.source,
      date: table.date,
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
    throw new ParapetError('PARAPET_PRICING_INVALID', `${dir}: cannot read the pricing directory`, { file: dir, cause: error });
  }
  return names.sort().map((name) => readPricingFile(join(dir, name)));
}

/** Read and validate one pricing file. */
export function readPricingFile(file: string): ProviderPrices {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ParapetError('PARAPET_PRICING_INVALID', `${file}: cannot read the pricing file`, { file, cause: error });
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
    files.push(...(path.endsWith('.yaml') || path.endsWith('.yml') ? [readPricingFile(path)] : readPricingDir(path)));
  }
  const catalogue = new PriceCatalogue(files);
  catalogueCache.set(cacheKey, catalogue);
  return catalogue;
}
