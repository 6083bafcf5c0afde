import { ParapetError } from '../model/errors.js';
import type { Resource } from '../model/resource.js';
import type { PriceCatalogue } from './catalogue.js';
import { autoscaledWorkloads, estimateKubernetes, kubernetesUnitPrices } from './kubernetes.js';
import type { CostSettings } from './settings.js';
import { roundMoney, stateMonthly, StateView } from './state.js';
import { estimateTerraformState } from './terraform.js';
import type { CostComponent, CostFact, StateEstimate } from './types.js';

type StateOutcome = StateEstimate | 'free' | 'unsupported' | 'absent';

interface ChangeFacts {
  actions?: string[];
  before?: unknown;
  after?: unknown;
  mode?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function componentsOf(estimate: StateOutcome): CostComponent[] {
  return typeof estimate === 'string' ? [] : estimate.components;
}

function monthly(estimate: StateOutcome): number | null {
  if (estimate === 'absent' || estimate === 'free') return 0;
  if (estimate === 'unsupported') return null;
  return stateMonthly(estimate);
}

/** Turns the two sides of a change into `facts.cost`. */
export function costFact(before: StateOutcome, after: StateOutcome, currency: string): CostFact {
  if (before === 'unsupported' || after === 'unsupported') {
    return {
      currency,
      monthlyBefore: null,
      monthlyAfter: null,
      delta: null,
      components: [],
      status: 'unsupported',
      unknownReason: 'parapet has no estimator for this resource type',
    };
  }
  const components = componentsOf(before).concat(componentsOf(after));
  const monthlyBefore = monthly(before);
  const monthlyAfter = monthly(after);
  const delta =
    monthlyBefore === null || monthlyAfter === null ? null : roundMoney(monthlyAfter - monthlyBefore);
  const freeSide = (side: StateOutcome) => side === 'free' || side === 'absent';
  const fact: CostFact = {
    currency,
    monthlyBefore,
    monthlyAfter,
    delta,
    components,
    status:
      freeSide(before) && freeSide(after)
        ? 'free'
        : monthlyBefore === null || monthlyAfter === null
          ? 'unknown'
          : 'priced',
  };
  const reason = [after, before].find(
    (side): side is StateEstimate => typeof side !== 'string' && side.unknownReason !== undefined,
  )?.unknownReason;
  if (reason !== undefined) fact.unknownReason = reason;
  const machineSide = typeof after !== 'string' ? after : typeof before !== 'string' ? before : undefined;
  if (machineSide?.machine) fact.machine = machineSide.machine;
  return fact;
}

/** The smallest the monthly cost after the change can be: priced lines only (unknown lines cost ≥ 0). */
export function monthlyAfterLowerBound(fact: CostFact): number {
  if (fact.monthlyAfter !== null) return fact.monthlyAfter;
  let sum = 0;
  for (const component of fact.components)
    if (component.phase === 'after' && component.monthly !== null) sum += component.monthly;
  return roundMoney(sum);
}

/** Prices Terraform and Kubernetes resources against one catalogue and one set of settings. */
export class CostEstimator {
  private readonly prices;
  private autoscaled = new Map<string, { min: number; max: number }>();

  constructor(
    readonly catalogue: PriceCatalogue,
    readonly settings: CostSettings,
  ) {
    if (settings.currency !== undefined && settings.currency !== catalogue.currency) {
      throw new ParapetError(
        'PARAPET_PRICING_INVALID',
        `cost.currency is ${settings.currency} but the pricing files are in ${catalogue.currency}`,
      );
    }
    this.prices = kubernetesUnitPrices(catalogue, settings.kubernetes);
  }

  /** Remember the HorizontalPodAutoscalers of the input set before estimating its workloads. */
  prepare(resources: readonly Resource[]): void {
    this.autoscaled = autoscaledWorkloads(resources);
  }

  /** `facts.cost` of one resource. */
  estimate(resource: Resource): CostFact {
    const currency = this.catalogue.currency;
    if (resource.source === 'kubernetes') {
      // A manifest has no previous state: it is priced as what the change will run.
      return costFact(
        'absent',
        estimateKubernetes(resource, this.catalogue, this.prices, this.settings.kubernetes, this.autoscaled),
        currency,
      );
    }
    if (resource.source !== 'terraform') return costFact('absent', 'free', currency);
    const change = (resource.facts.change ?? {}) as ChangeFacts;
    if (change.mode === 'data') return costFact('free', 'free', currency);
    const actions = change.actions ?? ['no-op'];
    const beforeValues = isRecord(change.before) ? change.before : undefined;
    const afterValues = isRecord(change.after) ? change.after : resource.body;
    const beforeState = (): StateOutcome =>
      beforeValues
        ? estimateTerraformState(resource, new StateView(beforeValues), this.catalogue, 'before')
        : 'absent';
    const afterState = (): StateOutcome =>
      estimateTerraformState(
        resource,
        new StateView(afterValues, resource.unknownPaths),
        this.catalogue,
        'after',
      );
    if (actions.includes('forget')) {
      // Forgotten objects keep running (and billing); only Terraform stops managing them.
      const before = beforeState();
      const after = beforeValues
        ? estimateTerraformState(resource, new StateView(beforeValues), this.catalogue, 'after')
        : 'absent';
      return costFact(before, after, currency);
    }
    if (actions.includes('delete') && !actions.includes('create'))
      return costFact(beforeState(), 'absent', currency);
    if (actions.includes('create') && !actions.includes('delete'))
      return costFact('absent', afterState(), currency);
    return costFact(beforeState(), afterState(), currency);
  }
}
