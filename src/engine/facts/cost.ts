import { loadPriceCatalogue } from '../../cost/catalogue.js';
import { CostEstimator } from '../../cost/estimate.js';
import { buildCostReport } from '../../cost/report.js';
import { costSettingsOf } from '../../cost/settings.js';
import type { Policy } from '../../model/policy.js';
import type { FactProvider } from './types.js';

const needsCostCache = new WeakMap<Policy, boolean>();

/** A policy needs cost facts when it is about cost or reads `facts.cost`. */
function needsCost(policy: Policy): boolean {
  let needs = needsCostCache.get(policy);
  if (needs === undefined) {
    needs =
      policy.category === 'cost' ||
      policy.tags.includes('cost') ||
      JSON.stringify(policy.rule).includes('cost');
    needsCostCache.set(policy, needs);
  }
  return needs;
}

/** The engine passes the same policy list to every evaluation: answer once per list. */
const listNeedsCost = new WeakMap<readonly Policy[], boolean>();
function anyNeedsCost(policies: readonly Policy[]): boolean {
  let needs = listNeedsCost.get(policies);
  if (needs === undefined) {
    needs = policies.some(needsCost);
    listNeedsCost.set(policies, needs);
  }
  return needs;
}

/** Cost facts cover these sources: their resources are priced together (autoscalers, totals). */
const priced = (source: string) => source === 'terraform' || source === 'kubernetes';

/**
 * `facts.cost` on every Terraform and Kubernetes resource: monthly cost before and after the change,
 * the delta, and the priced components; `result.extras.cost` gets the report totals. Runs only when a
 * selected policy needs it, so security-only runs pay nothing. Priced resources are held back to the
 * end of the run: an autoscaler changes the price of the workload it scales, and the report totals
 * every priced resource.
 */
export const costFactProvider: FactProvider = {
  name: 'cost',
  start(ctx) {
    if (!anyNeedsCost(ctx.policies)) return { finish() {} };
    return {
      holdsKind: (source) => priced(source),
      finish(resources) {
        const settings = costSettingsOf(ctx.settings);
        const catalogue = loadPriceCatalogue(settings.pricing);
        const estimator = new CostEstimator(catalogue, settings);
        estimator.prepare(resources);
        // Indexed: this loop runs once over every resource, mostly unoptimised, where an array
        // iterator allocates a result per step.
        for (let i = 0; i < resources.length; i += 1) {
          const resource = resources[i]!;
          if (priced(resource.source)) resource.facts.cost = estimator.estimate(resource);
        }
        ctx.extras.cost = buildCostReport(resources, catalogue.currency);
      },
    };
  },
};
