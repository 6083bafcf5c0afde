#!/usr/bin/env node
/**
 * Refreshes the committed price catalogue from the providers' public price lists. parapet itself
 * never goes online for prices: run this where network is available, review the diff, commit.
 *
 *   node dist/cost/refresh-prices.js aws-ec2 us-east-1 eu-west-1      # AWS Price List bulk offer files
 *   node dist/cost/refresh-prices.js aws-rds us-east-1
 *   node dist/cost/refresh-prices.js azure-vm eastus westus2          # Azure Retail Prices API
 *   ... --file policies/cost/pricing/aws.yaml (default: the built-in file of the provider)
 *
 * Sources (no credentials needed):
 * - AWS: https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<Service>/current/<region>/index.json
 * - Azure: https://prices.azure.com/api/retail/prices?$filter=... (paged through NextPageLink)
 * Only the tables a source covers are replaced (`regions.<region>`, `date`, `method: price-list-api`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isAlias, isNode, parseDocument } from 'yaml';
import { builtinPricingDir, parsePricingFile } from './catalogue.js';

type PriceMap = Record<string, number>;

interface AwsOffer {
  products?: Record<string, { productFamily?: string; attributes?: Record<string, string> }>;
  terms?: {
    OnDemand?: Record<
      string,
      Record<
        string,
        { priceDimensions?: Record<string, { unit?: string; pricePerUnit?: Record<string, string> }> }
      >
    >;
  };
}

/** The first on-demand USD price of a SKU in an AWS offer file. */
function awsOnDemandPrice(offer: AwsOffer, sku: string): number | undefined {
  for (const term of Object.values(offer.terms?.OnDemand?.[sku] ?? {})) {
    for (const dimension of Object.values(term.priceDimensions ?? {})) {
      const price = Number(dimension.pricePerUnit?.USD);
      if (Number.isFinite(price) && price > 0) return price;
    }
  }
  return undefined;
}

/**
 * EC2 On-Demand Linux, shared tenancy, no pre-installed software, capacity "Used" (the hourly price
 * users pay), keyed by instance type, from an AmazonEC2 offer file of one region.
 */
export function parseAwsEc2Offer(offer: AwsOffer): PriceMap {
  const out: PriceMap = {};
  for (const [sku, product] of Object.entries(offer.products ?? {})) {
    const a = product.attributes ?? {};
    if (product.productFamily !== 'Compute Instance') continue;
    if (
      a.operatingSystem !== 'Linux' ||
      a.tenancy !== 'Shared' ||
      a.preInstalledSw !== 'NA' ||
      a.capacitystatus !== 'Used'
    )
      continue;
    if (a.licenseModel && a.licenseModel !== 'No License required') continue;
    const price = awsOnDemandPrice(offer, sku);
    if (a.instanceType && price !== undefined) out[a.instanceType] = price;
  }
  return sorted(out);
}

const rdsEngines: Record<string, string> = { MySQL: 'mysql', PostgreSQL: 'postgres' };

/** RDS On-Demand Single-AZ instance prices keyed `engine.class` (mysql, postgres) from an AmazonRDS offer file. */
export function parseAwsRdsOffer(offer: AwsOffer): PriceMap {
  const out: PriceMap = {};
  for (const [sku, product] of Object.entries(offer.products ?? {})) {
    const a = product.attributes ?? {};
    if (product.productFamily !== 'Database Instance' || a.deploymentOption !== 'Single-AZ') continue;
    const engine = rdsEngines[a.databaseEngine ?? ''];
    const price = awsOnDemandPrice(offer, sku);
    if (engine && a.instanceType && price !== undefined) out[`${engine}.${a.instanceType}`] = price;
  }
  return sorted(out);
}

/** One item of the Azure Retail Prices API. */
export interface AzureRetailItem {
  armSkuName?: string;
  retailPrice?: number;
  unitOfMeasure?: string;
  productName?: string;
  skuName?: string;
  type?: string;
  currencyCode?: string;
}

/** Linux pay-as-you-go VM hourly prices keyed by ARM SKU name (Spot, Low Priority and Windows excluded). */
export function parseAzureVmPrices(items: AzureRetailItem[]): PriceMap {
  const out: PriceMap = {};
  for (const item of items) {
    if (
      item.type !== 'Consumption' ||
      item.unitOfMeasure !== '1 Hour' ||
      !item.armSkuName ||
      typeof item.retailPrice !== 'number'
    )
      continue;
    if (/Windows/i.test(item.productName ?? '') || /Spot|Low Priority/i.test(item.skuName ?? '')) continue;
    out[item.armSkuName] = item.retailPrice;
  }
  return sorted(out);
}

function sorted(map: PriceMap): PriceMap {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Nest `m5.large`-style keys one level (`m5: { large: ... }`) so the file stays readable. */
export function nestByFirstDot(map: PriceMap): Record<string, PriceMap | number> {
  const out: Record<string, PriceMap | number> = {};
  for (const [key, price] of Object.entries(map)) {
    const dot = key.lastIndexOf('.');
    if (dot <= 0) out[key] = price;
    else ((out[key.slice(0, dot)] ??= {}) as PriceMap)[key.slice(dot + 1)] = price;
  }
  return out;
}

/** Replace `tables.<table>.regions.<region>` in a pricing file's text, keeping comments and the rest. */
export function replaceRegionPrices(
  text: string,
  file: string,
  table: string,
  region: string,
  prices: Record<string, unknown>,
  date: string,
): string {
  const document = parseDocument(text);
  if (!document.hasIn(['tables', table])) throw new Error(`${file}: no table ${table}`);
  const node = document.createNode(prices);
  const previous = document.getIn(['tables', table, 'regions', region], true);
  // Other regions may alias this one (`us-west-2: *ec2-us-east-1`): the new node keeps the anchor.
  if (isNode(previous) && !isAlias(previous) && previous.anchor) node.anchor = previous.anchor;
  document.setIn(['tables', table, 'regions', region], node);
  document.setIn(['tables', table, 'date'], date);
  document.setIn(['tables', table, 'method'], 'price-list-api');
  const out = document.toString({ lineWidth: 0 });
  parsePricingFile(out, file); // never write a file parapet cannot load
  return out;
}

async function fetchJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(300_000) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

const sources = {
  'aws-ec2': {
    file: 'aws.yaml',
    table: 'ec2-instance',
    fetch: async (region: string) =>
      nestByFirstDot(
        parseAwsEc2Offer(
          (await fetchJson(
            `https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/${region}/index.json`,
          )) as AwsOffer,
        ),
      ),
  },
  'aws-rds': {
    file: 'aws.yaml',
    table: 'rds-instance',
    fetch: async (region: string) => {
      const flat = parseAwsRdsOffer(
        (await fetchJson(
          `https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonRDS/current/${region}/index.json`,
        )) as AwsOffer,
      );
      const out: Record<string, Record<string, PriceMap | number>> = {};
      for (const [key, price] of Object.entries(flat)) {
        const [engine, ...rest] = key.split('.');
        Object.assign((out[engine!] ??= {}), nestByFirstDot({ [rest.join('.')]: price }));
      }
      return out;
    },
  },
  'azure-vm': {
    file: 'azure.yaml',
    table: 'vm-linux',
    fetch: async (region: string) => {
      const items: AzureRetailItem[] = [];
      let url: string | null =
        `https://prices.azure.com/api/retail/prices?$filter=${encodeURIComponent(`serviceName eq 'Virtual Machines' and armRegionName eq '${region}' and priceType eq 'Consumption'`)}`;
      while (url) {
        const page = (await fetchJson(url)) as { Items?: AzureRetailItem[]; NextPageLink?: string | null };
        items.push(...(page.Items ?? []));
        url = page.NextPageLink ?? null;
      }
      return parseAzureVmPrices(items);
    },
  },
} as const;

/** `SOURCE REGION... [--file PRICING.yaml]`, or undefined when that is not what `argv` holds. */
export function parseRefreshArguments(
  argv: string[],
): { name: keyof typeof sources; regions: string[]; file?: string } | undefined {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { file: { type: 'string' } }, allowPositionals: true });
  } catch {
    return undefined;
  }
  const [name, ...regions] = parsed.positionals;
  if (name === undefined || !(name in sources) || regions.length === 0) return undefined;
  return { name: name as keyof typeof sources, regions, file: parsed.values.file };
}

async function main(argv: string[]): Promise<number> {
  const args = parseRefreshArguments(argv);
  if (!args) {
    process.stderr.write(
      `usage: refresh-prices ${Object.keys(sources).join('|')} REGION... [--file PRICING.yaml]\n`,
    );
    return 2;
  }
  const { name, regions } = args;
  const source = sources[name];
  const file = args.file ?? path.join(builtinPricingDir, source.file);
  let text = readFileSync(file, 'utf8');
  const date = new Date().toISOString().slice(0, 10);
  for (const region of regions) {
    const prices = await source.fetch(region);
    if (Object.keys(prices).length === 0)
      throw new Error(`${name} ${region}: the price list had no matching prices`);
    text = replaceRegionPrices(text, file, source.table, region, prices, date);
    process.stderr.write(`${name} ${region}: ${Object.keys(prices).length} entries\n`);
  }
  writeFileSync(file, text);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
