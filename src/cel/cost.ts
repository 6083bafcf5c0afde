/**
 * Runtime cost limits, as the API server enforces them: each expression may spend at most
 * `perExpression` (1,000,000 in Kubernetes: about 0.1 s) and all expressions of one policy
 * evaluation at most `perEvaluation` (10,000,000). A hostile expression ends with an error instead
 * of holding the CI run or the webhook. Cost is counted as cel-go does in spirit, not to the unit:
 * one per function call and per comprehension iteration, plus a tenth of the size of the strings
 * and lists a call reads.
 */
import { isCelList, isCelMap, type CelValue } from '@bufbuild/cel';

/** Kubernetes' `PerCallLimit`. */
export const defaultExpressionCostLimit = 1_000_000;
/** Kubernetes' `RuntimeCELCostBudget` (per policy and binding evaluation). */
export const defaultEvaluationCostLimit = 10_000_000;

export class CostLimitExceeded extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CostLimitExceeded';
  }
}

/** The budget of one policy evaluation, shared by its expressions. */
export class CostBudget {
  spent = 0;
  constructor(readonly limit: number = defaultEvaluationCostLimit) {}
}

class Meter {
  cost = 0;
  exceeded: string | undefined;
  constructor(
    readonly limit: number,
    readonly budget: CostBudget | undefined,
  ) {}
  charge(amount: number): void {
    this.cost += amount;
    if (this.exceeded) throw new CostLimitExceeded(this.exceeded);
    if (this.cost > this.limit) {
      this.exceeded = 'operation cancelled: actual cost limit exceeded';
      throw new CostLimitExceeded(this.exceeded);
    }
    if (this.budget && this.budget.spent + this.cost > this.budget.limit) {
      this.exceeded =
        'validation failed due to running out of cost budget, no further validation rules will be run';
      throw new CostLimitExceeded(this.exceeded);
    }
  }
}

let current: Meter | undefined;

/** Charges `amount` to the expression being evaluated (none outside an evaluation). */
export function charge(amount: number): void {
  current?.charge(amount);
}

function sizeOf(value: CelValue | undefined): number {
  if (typeof value === 'string') return value.length;
  if (value instanceof Uint8Array) return value.length;
  if (typeof value === 'object' && value !== null && (isCelList(value) || isCelMap(value))) return value.size;
  return 0;
}

/** Charges one call of a function with these operands. */
export function chargeCall(target: CelValue | undefined, args: readonly CelValue[]): void {
  if (!current) return;
  let size = sizeOf(target);
  for (const arg of args) size += sizeOf(arg);
  current.charge(1 + Math.ceil(size / 10));
}

/**
 * Runs `evaluate` under a meter; the result is replaced by a CostLimitExceeded error when the
 * limit was crossed anywhere (an `||` that swallowed the error does not hide it).
 */
export function metered<T>(
  limit: number,
  budget: CostBudget | undefined,
  evaluate: () => T,
): { value: T; cost: number; exceeded?: string } {
  const meter = new Meter(limit, budget);
  const previous = current;
  current = meter;
  try {
    const value = evaluate();
    return { value, cost: meter.cost, exceeded: meter.exceeded };
  } finally {
    current = previous;
    if (budget) budget.spent += meter.cost;
  }
}
