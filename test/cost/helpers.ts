import { loadInputs } from '../../src/inputs/load.js';
import { loadPriceCatalogue } from '../../src/cost/catalogue.js';
import { CostEstimator } from '../../src/cost/estimate.js';
import type { CostSettings } from '../../src/cost/settings.js';
import type { CostFact } from '../../src/cost/types.js';
import type { Resource } from '../../src/model/resource.js';

/** Load a fixture and set `facts.cost` on every resource, as the fact provider does. */
export async function estimateFixture(
  file: string,
  settings: CostSettings = { pricing: [], kubernetes: {} },
): Promise<{ resources: Resource[]; byId: Map<string, CostFact> }> {
  const { resources } = await loadInputs([file]);
  const estimator = new CostEstimator(loadPriceCatalogue(settings.pricing), settings);
  estimator.prepare(resources);
  const byId = new Map<string, CostFact>();
  for (const resource of resources) {
    const fact = estimator.estimate(resource);
    resource.facts.cost = fact;
    byId.set(resource.id, fact);
  }
  return { resources, byId };
}

/** The fact of `id`, failing loudly when the fixture lacks it. */
export function factOf(byId: Map<string, CostFact>, id: string): CostFact {
  const fact = byId.get(id);
  if (!fact) throw new Error(`no resource ${id} in the fixture`);
  return fact;
}
