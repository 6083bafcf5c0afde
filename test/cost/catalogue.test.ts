import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatUsd } from '../../src/cost/money.js';
import {
  builtinPricingDir,
  isQuote,
  loadPriceCatalogue,
  readPricingDir,
  readPricingFile,
} from '../../src/cost/catalogue.js';
import {
  parseAwsEc2Offer,
  parseAwsRdsOffer,
  parseAzureVmPrices,
  replaceRegionPrices,
} from '../../src/cost/refresh-prices.js';
import { ParapetError } from '../../src/model/errors.js';

describe('built-in price catalogue', () => {
  const files = readPricingDir(builtinPricingDir);

  it('has AWS, Google, Azure and Kubernetes prices, every table with a source and a date', () => {
    expect(files.map((file) => file.provider).sort()).toEqual(['aws', 'azurerm', 'google', 'kubernetes']);
    for (const file of files) {
      for (const [name, table] of file.tables) {
        expect(table.source, `${file.provider} ${name}`).toMatch(/^(https:\/\/|contract )/);
        expect(table.date, `${file.provider} ${name}`).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(table.regions.size, `${file.provider} ${name}`).toBeGreaterThan(0);
      }
    }
  });

  it('covers current and previous EC2 families across the main regions', () => {
    const catalogue = loadPriceCatalogue();
    for (const region of ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1']) {
      for (const type of [
        't3.medium',
        'm5.large',
        'm6i.large',
        'c5.large',
        'r5.large',
        'm4.large',
        'c4.large',
        't2.micro',
      ]) {
        expect(isQuote(catalogue.lookup('aws', 'ec2-instance', region, type)), `${type} in ${region}`).toBe(
          true,
        );
      }
    }
  });

  it('explains a miss: unknown region, unknown key, unknown table', () => {
    const catalogue = loadPriceCatalogue();
    expect(catalogue.lookup('aws', 'ec2-instance', 'ap-south-1', 'm5.large')).toEqual({
      reason: 'region ap-south-1 has no ec2-instance prices in the catalogue',
    });
    expect(catalogue.lookup('aws', 'ec2-instance', 'us-east-1', 'm5.huge')).toEqual({
      reason: 'm5.huge has no ec2-instance price in us-east-1 in the catalogue',
    });
    expect(catalogue.lookup('aws', 'ec2-gpu', 'us-east-1', 'x')).toEqual({
      reason: 'no aws ec2-gpu prices in the catalogue',
    });
  });

  it('global tables apply to every region', () => {
    const quote = loadPriceCatalogue().lookup('aws', 'eks-cluster', 'ap-south-1', 'standard');
    expect(isQuote(quote) && quote.price).toBe(0.1);
  });
});

describe('user pricing files', () => {
  it('an override file replaces the built-in table of the same provider and name', () => {
    const catalogue = loadPriceCatalogue(['fixtures/cost/pricing-override.yaml']);
    const quote = catalogue.lookup('aws', 'ec2-instance', 'us-east-1', 'm5.large');
    expect(quote).toMatchObject({ price: 0.0816, source: 'contract EDP-2024-117, schedule B' });
    expect(catalogue.lookup('aws', 'ec2-instance', 'eu-west-1', 'm5.large')).toEqual({
      reason: 'region eu-west-1 has no ec2-instance prices in the catalogue',
    });
  });

  it('an invalid file is a one-line error naming the file and the field', () => {
    let error: unknown;
    try {
      readPricingFile('fixtures/cost/pricing-invalid.yaml');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ParapetError);
    expect((error as ParapetError).code).toBe('PARAPET_PRICING_INVALID');
    expect((error as ParapetError).message).toBe(
      'fixtures/cost/pricing-invalid.yaml: /tables/ec2-instance/regions/us-east-1/m5/large must be number',
    );
  });
});

describe('refresh-prices parsers (saved samples of the public price lists)', () => {
  const read = (name: string) => JSON.parse(readFileSync(`fixtures/cost/price-lists/${name}`, 'utf8'));

  it('AWS EC2 offer: Linux, shared tenancy, used capacity only', () => {
    expect(parseAwsEc2Offer(read('aws-ec2-offer-us-east-1.json'))).toEqual({
      'm5.large': 0.096,
      't3.medium': 0.0416,
    });
  });

  it('AWS RDS offer: Single-AZ MySQL and PostgreSQL', () => {
    expect(parseAwsRdsOffer(read('aws-rds-offer-us-east-1.json'))).toEqual({
      'mysql.db.t3.large': 0.136,
      'postgres.db.r5.large': 0.25,
    });
  });

  it('Azure Retail Prices: Linux pay-as-you-go hours, no Windows, Spot or reservations', () => {
    expect(parseAzureVmPrices(read('azure-retail-vm-eastus.json').Items)).toEqual({
      Standard_B2s: 0.0416,
      Standard_D2s_v5: 0.096,
    });
  });

  it('writes refreshed prices into a pricing file, keeping aliases of the refreshed region valid', () => {
    const file = `${builtinPricingDir}aws.yaml`;
    const text = replaceRegionPrices(
      readFileSync(file, 'utf8'),
      file,
      'ec2-instance',
      'us-east-1',
      { m5: { large: 0.097 } },
      '2025-01-15',
    );
    const refreshed = readPricingFile(file); // the committed file is untouched
    expect(refreshed.tables.get('ec2-instance')?.regions.get('us-east-1')?.get('m5.large')).toBe(0.096);
    expect(text).toContain("date: '2025-01-15'");
    expect(text).toMatch(/us-east-1: &ec2-us-east-1\n\s+m5:\n\s+large: 0.097/);
    expect(text).toContain('us-west-2: *ec2-us-east-1');
  });
});

describe('formatUsd', () => {
  const intl = new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });

  it('writes what Intl.NumberFormat writes', () => {
    for (const amount of [
      0,
      0.004,
      0.005,
      0.125,
      0.135,
      1,
      9.995,
      12.5,
      999.994,
      999.995,
      1000,
      1234.5,
      1e6,
      123456789.125,
      1e14 + 0.5,
    ])
      expect([amount, formatUsd(amount)]).toEqual([amount, intl.format(amount)]);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e13, noNaN: true }), (amount) => {
        expect(formatUsd(amount)).toBe(intl.format(amount));
      }),
      { numRuns: 20000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), (cents) => {
        const amount = cents / 1000; // many exact and near half-cent ties
        expect(formatUsd(amount)).toBe(intl.format(amount));
      }),
      { numRuns: 20000 },
    );
  });
});
