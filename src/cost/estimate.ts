import { ParapetError } from '../model/errors.js';
import type { Resource } from '../model/resource.js';
import type { PriceCatalogue } from './catalogue.js';
import { autoscaledWorkloads, estimateKubernetes, kubernetesUnitPrices } from './kubernetes.js';
import type { CostSettings } from './settings.js';
import { roundMoney, stateMonthly, StateView } from './state.js';
import { estimateTerraformState, terraformTypeOutcome } from './terraform.js';
import type { CostFact, StateEstimate } from './types.js';

type OutcomeWord = 'free' | 'unsupported' | 'absent';
type StateOutcome = StateEstimate | OutcomeWord;

interface ChangeFacts {
  actions?: string[];
  before?: unknown;
  after?: unknown;
  mode?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
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
  // A side's components are its own (the builder is gone): one priced side lends its list.
  const components =
    typeof before === 'string'
      ? typeof after === 'string'
        ? []
        : after.components
      : typeof after === 'string'
        ? before.components
        : before.components.concat(after.components);
  const monthlyBefore = monthly(before);
  const monthlyAfter = monthly(after);
  const delta =
    monthlyBefore === null || monthlyAfter === null ? null : roundMoney(monthlyAfter - monthlyBefore);
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
  const reason =
    typeof after !== 'string' && after.unknownReason !== undefined
      ? after.unknownReason
      : typeof before !== 'string'
        ? before.unknownReason
        : undefined;
  if (reason !== undefined) fact.unknownReason = reason;
  const machineSide = typeof after !== 'string' ? after : typeof before !== 'string' ? before : undefined;
  if (machineSide?.machine) fact.machine = machineSide.machine;
  return fact;
}

function freeSide(side: StateOutcome): boolean {
  return side === 'free' || side === 'absent';
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
  private readonly outcomeFacts = new Map<OutcomeWord, Map<OutcomeWord, CostFact>>();
  private readonly pairFacts = new Map<StateOutcome, Map<StateOutcome, CostFact>>();

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
    if (resource.source !== 'terraform') return this.outcomeFact('absent', 'free');
    const change = (resource.facts.change ?? {}) as ChangeFacts;
    if (change.mode === 'data') return this.outcomeFact('free', 'free');
    const actions = change.actions ?? ['no-op'];
    const beforeValues = isRecord(change.before) ? change.before : undefined;
    const afterValues = isRecord(change.after) ? change.after : resource.body;
    const type = terraformTypeOutcome(resource.kind);
    let before: StateOutcome;
    let after: StateOutcome;
    if (actions.includes('forget')) {
      // Forgotten objects keep running (and billing); only Terraform stops managing them.
      before = beforeValues ? this.state(resource, type, beforeValues, undefined, 'before') : 'absent';
      after = beforeValues ? this.state(resource, type, beforeValues, undefined, 'after') : 'absent';
    } else if (actions.includes('delete') && !actions.includes('create')) {
      before = beforeValues ? this.state(resource, type, beforeValues, undefined, 'before') : 'absent';
      after = 'absent';
    } else if (actions.includes('create') && !actions.includes('delete')) {
      before = 'absent';
      after = this.state(resource, type, afterValues, resource.unknownPaths, 'after');
    } else {
      before = beforeValues ? this.state(resource, type, beforeValues, undefined, 'before') : 'absent';
      after = this.state(resource, type, afterValues, resource.unknownPaths, 'after');
    }
    return typeof before === 'string' && typeof after === 'string'
      ? this.outcomeFact(before, after)
      : this.pairFact(before, after);
  }

  /**
   * `facts.cost` of two sides, shared by every resource whose sides are the same objects: the
   * estimates of like states are (terraform-memo.ts), and facts are never mutated.
   */
  private pairFact(before: StateOutcome, after: StateOutcome): CostFact {
    let byAfter = this.pairFacts.get(before);
    if (!byAfter) {
      if (this.pairFacts.size >= 10_000) this.pairFacts.clear();
      this.pairFacts.set(before, (byAfter = new Map()));
    }
    let fact = byAfter.get(after);
    if (!fact) {
      fact = costFact(before, after, this.catalogue.currency);
      if (byAfter.size < 10_000) byAfter.set(after, fact);
    }
    return fact;
  }

  /** One side of a Terraform change; types without an estimator come to their outcome unread. */
  private state(
    resource: Resource,
    type: 'free' | 'unsupported' | 'priced',
    values: Record<string, unknown>,
    unknownPaths: readonly string[] | undefined,
    phase: 'before' | 'after',
  ): StateOutcome {
    if (type !== 'priced') return type;
    return estimateTerraformState(resource, new StateView(values, unknownPaths), this.catalogue, phase);
  }

  /**
   * `facts.cost` when neither side needed reading (free or unsupported types, data sources): one
   * object per pair of outcomes, shared by every such resource (facts are never mutated).
   */
  private outcomeFact(before: OutcomeWord, after: OutcomeWord): CostFact {
    let byAfter = this.outcomeFacts.get(before);
    if (!byAfter) this.outcomeFacts.set(before, (byAfter = new Map()));
    let fact = byAfter.get(after);
    if (!fact) {
      fact = costFact(before, after, this.catalogue.currency);
      byAfter.set(after, fact);
    }
    return fact;
  }
}
