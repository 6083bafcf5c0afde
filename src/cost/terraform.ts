import type { Resource } from '../model/resource.js';
import { awsEstimators, awsFreeTypes } from './aws.js';
import { azureEstimators, azureFreeTypes } from './azure.js';
import type { PriceCatalogue } from './catalogue.js';
import { googleEstimators, googleFreeTypes } from './google.js';
import { EstimateBuilder, StateView } from './state.js';
import { EstimateMemo } from './terraform-memo.js';
import type { TerraformEstimator } from './terraform-context.js';
import type { StateEstimate } from './types.js';

const estimators: Record<string, TerraformEstimator> = {
  ...awsEstimators,
  ...googleEstimators,
  ...azureEstimators,
};

function globToRegExp(globs: string[]): RegExp {
  const escaped = globs.map((glob) => glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*'));
  return new RegExp(`^(?:${escaped.join('|')})$`);
}

const freeTypes = globToRegExp([
  ...awsFreeTypes,
  ...googleFreeTypes,
  ...azureFreeTypes,
  // Providers that only compute values or talk to local files.
  'random_*',
  'null_resource',
  'terraform_data',
  'tls_*',
  'time_*',
  'local_*',
  'archive_*',
  'external',
  'http',
  'cloudinit_config',
]);

/** True when parapet has an estimator for this Terraform resource type. */
export function isPricedTerraformType(type: string): boolean {
  return type in estimators;
}

/** True when this Terraform resource type costs nothing by itself. */
export function isFreeTerraformType(type: string): boolean {
  return freeTypes.test(type);
}

// Per resource type: a plan holds a few dozen types and tens of thousands of resources.
const outcomeByType = new Map<string, 'free' | 'unsupported' | 'priced'>();

/**
 * What any state of a resource type comes to without reading it: 'free' or 'unsupported' for types
 * without an estimator, 'priced' when the estimator must read the state.
 */
export function terraformTypeOutcome(type: string): 'free' | 'unsupported' | 'priced' {
  let outcome = outcomeByType.get(type);
  if (outcome === undefined) {
    outcome = estimators[type] ? 'priced' : isFreeTerraformType(type) ? 'free' : 'unsupported';
    if (outcomeByType.size >= 4096) outcomeByType.clear();
    outcomeByType.set(type, outcome);
  }
  return outcome;
}

function normaliseAzureRegion(location: string): string {
  return location.toLowerCase().replace(/\s+/g, '');
}

/** Where each provider's resources say their region, in order of precedence, and how to read it. */
type RegionSources = ReadonlyArray<readonly [string, (value: string) => string]>;
const googleRegionSources: RegionSources = [
  ['/zone', (zone) => zone.replace(/-[a-z]$/, '')],
  ['/region', (r) => r.toLowerCase()],
  ['/location', (l) => l.toLowerCase().replace(/-[a-z]$/, '')],
];
const azureRegionSources: RegionSources = [['/location', normaliseAzureRegion]];
const awsRegionSources: RegionSources = [
  ['/region', (r) => r],
  ['/availability_zone', (zone) => zone.replace(/[a-z]$/, '')],
];

/** The region a resource runs in, from its own attributes first (zones beat provider defaults). */
function regionOf(resource: Resource, view: StateView): { name: string } | { reason: string } {
  const provider = resource.facts.provider;
  const fromFacts =
    typeof resource.facts.region === 'string' && resource.facts.region !== ''
      ? resource.facts.region
      : undefined;
  const candidates =
    provider === 'google'
      ? googleRegionSources
      : provider === 'azurerm'
        ? azureRegionSources
        : awsRegionSources;
  for (const [pointer, normalise] of candidates) {
    const read = view.string(pointer);
    if (!read.known) {
      if (fromFacts === undefined)
        return {
          reason: `the region is unknown: the provider configuration sets none and ${pointer.slice(1)} is unknown until apply`,
        };
      continue;
    }
    if (read.value !== undefined) return { name: normalise(read.value) };
  }
  if (fromFacts !== undefined)
    return { name: provider === 'azurerm' ? normaliseAzureRegion(fromFacts) : fromFacts };
  return { reason: 'the region is not set in the plan or its provider configuration' };
}

const memos = new WeakMap<PriceCatalogue, EstimateMemo>();

/** The memo of estimates made with `catalogue` (one per catalogue: its prices are in the results). */
export function estimateMemoOf(catalogue: PriceCatalogue): EstimateMemo {
  let memo = memos.get(catalogue);
  if (!memo) memos.set(catalogue, (memo = new EstimateMemo()));
  return memo;
}

/**
 * The estimate of one side of a Terraform change, or 'free' / 'unsupported'. Like states share one
 * estimate object through `memo` (null: estimate afresh).
 */
export function estimateTerraformState(
  resource: Resource,
  view: StateView,
  catalogue: PriceCatalogue,
  phase: 'before' | 'after',
  memo: EstimateMemo | null = estimateMemoOf(catalogue),
): StateEstimate | 'free' | 'unsupported' {
  const typeOutcome = terraformTypeOutcome(resource.kind);
  if (typeOutcome !== 'priced') return typeOutcome;
  if (!memo) return runEstimator(resource, view, catalogue, phase);
  // What an estimate depends on besides the view: the kind, the side, and the facts regionOf reads.
  const { kind } = resource;
  const { provider, region } = resource.facts;
  return (
    memo.find(kind, phase, provider, region, view) ??
    memo.record(kind, phase, provider, region, view, (read) => runEstimator(resource, read, catalogue, phase))
  );
}

function runEstimator(
  resource: Resource,
  view: StateView,
  catalogue: PriceCatalogue,
  phase: 'before' | 'after',
): StateEstimate | 'free' {
  const builder = new EstimateBuilder(catalogue, phase);
  const outcome = estimators[resource.kind]!({ view, region: regionOf(resource, view), catalogue, builder });
  return outcome === 'free' ? 'free' : builder.result();
}
