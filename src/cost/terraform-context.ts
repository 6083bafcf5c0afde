import type { PriceCatalogue } from './catalogue.js';
import type { EstimateBuilder, StateView } from './state.js';

/** What a Terraform resource estimator gets: one side of the change and where it runs. */
export interface TerraformEstimateInput {
  view: StateView;
  /** The region the resource runs in, or the reason it is not known. */
  region: { name: string } | { reason: string };
  catalogue: PriceCatalogue;
  builder: EstimateBuilder;
}

/** Prices one resource type; returns 'free' for types that cost nothing by themselves. */
export type TerraformEstimator = (input: TerraformEstimateInput) => void | 'free';

/** Region name for lookups, or undefined after recording why it is unknown. */
export function requireRegion(
  input: TerraformEstimateInput,
  component: string,
  unit: string,
): string | undefined {
  if ('name' in input.region) return input.region.name;
  input.builder.unknown(component, unit, input.region.reason);
  return undefined;
}
