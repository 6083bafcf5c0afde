import { ParapetError } from '../model/errors.js';
import type { Policy } from '../model/policy.js';
import type { Resource } from '../model/resource.js';
import type { CheckDefinition } from '../engine/checks/types.js';
import { globMatcher } from '../engine/keywords/glob.js';
import type { SetViolation, Violation } from '../engine/rules/types.js';
import { monthlyAfterLowerBound } from './estimate.js';
import { formatMoney } from './money.js';
import { roundMoney } from './state.js';
import type { CostFact } from './types.js';

/** The shared result of a check with nothing to report (never mutated). */
const noViolations: Violation[] = Object.freeze([]) as unknown as Violation[];

function costOf(resource: Resource): CostFact | undefined {
  const fact = resource.facts.cost as CostFact | undefined;
  return fact && (fact.status === 'priced' || fact.status === 'unknown') ? fact : undefined;
}

function requireNumber(options: Record<string, unknown>, name: string, policy: Policy): number {
  const value = options[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ParapetError(
      'PARAPET_POLICY_COMPILE',
      `${policy.file}: rule.check.with.${name} must be a number`,
      { file: policy.file },
    );
  }
  return value;
}

/** A machine type and family against globs, remembered per type: a plan repeats a few types thousands of times. */
function machineMemo(
  test: (type: string, family: string) => boolean,
): (type: string, family: string) => boolean {
  const byType = new Map<string, Map<string, boolean>>();
  return (type, family) => {
    let byFamily = byType.get(type);
    if (!byFamily) {
      if (byType.size >= 4096) byType.clear();
      byType.set(type, (byFamily = new Map()));
    }
    let answer = byFamily.get(family);
    if (answer === undefined) {
      answer = test(type, family);
      byFamily.set(family, answer);
    }
    return answer;
  };
}

/** Globs over machine types and families (minimatch, dot files not special-cased). */
function requireGlobs(
  value: unknown,
  where: string,
  policy: Policy,
): {
  /** True when the type or its family matches. */
  matchesMachine: (type: string, family: string) => boolean;
  patterns: string;
} {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new ParapetError(
      'PARAPET_POLICY_COMPILE',
      `${policy.file}: rule.check.with.${where} must be a list of globs`,
      { file: policy.file },
    );
  }
  const patterns = value as string[];
  const matches = globMatcher(patterns, { nocomment: true, nonegate: true });
  return {
    matchesMachine: machineMemo((type, family) => matches(type) || matches(family)),
    patterns: patterns.join(', '),
  };
}

/**
 * `cost-plan-delta`: the monthly cost change of a plan (per input file, or over everything) against a
 * budget. Fails when even the smallest possible change exceeds the budget; `unknown` when only unknown
 * costs could push it over; the finding lands on the resource that adds the most.
 */
export const costPlanDeltaCheck: CheckDefinition = {
  name: 'cost-plan-delta',
  description:
    'Monthly cost change of a Terraform plan against a budget (with.budget, with.groupBy: file|all).',
  compile(options, policy) {
    const budget = requireNumber(options, 'budget', policy);
    const groupBy = options.groupBy ?? 'file';
    if (groupBy !== 'file' && groupBy !== 'all') {
      throw new ParapetError(
        'PARAPET_POLICY_COMPILE',
        `${policy.file}: rule.check.with.groupBy must be file or all`,
        { file: policy.file },
      );
    }
    return {
      scope: 'set',
      evaluateSet(resources) {
        const groups = new Map<string, Resource[]>();
        // Indexed: one call walks every resource of a run (see buildCostReport).
        for (let i = 0; i < resources.length; i += 1) {
          const resource = resources[i]!;
          if (!costOf(resource)) continue;
          const key = groupBy === 'file' ? resource.location.file : '';
          const list = groups.get(key);
          if (list) list.push(resource);
          else groups.set(key, [resource]);
        }
        const out: SetViolation[] = [];
        for (const members of groups.values()) {
          let delta = 0;
          let lowerBound = 0;
          let currency = 'USD';
          const unknown: string[] = [];
          let top: { resource: Resource; amount: number } | undefined;
          for (let i = 0; i < members.length; i += 1) {
            const resource = members[i]!;
            const fact = costOf(resource)!;
            currency = fact.currency;
            if (fact.delta !== null) {
              delta += fact.delta;
              lowerBound += fact.delta;
              if (!top || fact.delta > top.amount) top = { resource, amount: fact.delta };
            } else {
              unknown.push(resource.id);
              // An unknown after-cost is at least its priced lines; an unknown before-cost has no bound.
              lowerBound =
                fact.monthlyBefore === null
                  ? -Infinity
                  : lowerBound + monthlyAfterLowerBound(fact) - fact.monthlyBefore;
            }
          }
          delta = roundMoney(delta);
          const values = {
            delta: formatMoney(delta, currency, true),
            budget: formatMoney(budget, currency),
            unknownCount: unknown.length,
            summary: unknown.length
              ? `${formatMoney(delta, currency, true)} known, ${unknown.length} resource(s) with unknown cost`
              : formatMoney(delta, currency, true),
          };
          const details = {
            delta,
            budget,
            currency,
            lowerBound: Number.isFinite(lowerBound) ? roundMoney(lowerBound) : null,
            unknownResources: unknown,
            resources: members.length,
          };
          const anchor =
            top && top.amount > 0
              ? top.resource
              : (members.find((member) => unknown.includes(member.id)) ?? members[0]!);
          if (lowerBound > budget) out.push({ resource: anchor, path: '', values, details });
          else if (unknown.length > 0) {
            out.push({
              resource: anchor,
              path: '',
              status: 'unknown',
              values,
              details,
              message: `Plan changes monthly cost by ${values.summary}; the unknown costs could exceed the ${values.budget} budget`,
            });
          }
        }
        return out;
      },
    };
  },
};

/**
 * `cost-monthly-max`: a resource's monthly cost after the change against a maximum; `unknown` when
 * the cost is unknown and its priced part is still under the maximum.
 */
export const costMonthlyMaxCheck: CheckDefinition = {
  name: 'cost-monthly-max',
  description: 'Monthly cost of one resource after the change against a maximum (with.max).',
  compile(options, policy) {
    const max = requireNumber(options, 'max', policy);
    // The maximum in the catalogue's currency, formatted once (one currency per run).
    let maxText: { currency: string; text: string } | undefined;
    // The monthly figure per fact: like resources share one fact (estimate.ts).
    const monthlyTexts = new WeakMap<CostFact, string>();
    return {
      scope: 'resource',
      evaluate(resource): Violation[] {
        const fact = costOf(resource);
        if (!fact) return noViolations;
        const lower = monthlyAfterLowerBound(fact);
        const over = lower > max;
        if (!over && fact.monthlyAfter !== null) return noViolations;
        if (maxText?.currency !== fact.currency)
          maxText = { currency: fact.currency, text: formatMoney(max, fact.currency) };
        let monthly = monthlyTexts.get(fact);
        if (monthly === undefined) {
          monthly =
            fact.monthlyAfter === null
              ? `at least ${formatMoney(lower, fact.currency)}`
              : formatMoney(fact.monthlyAfter, fact.currency);
          monthlyTexts.set(fact, monthly);
        }
        const values = { monthly, max: maxText.text };
        const details = { monthlyAfter: fact.monthlyAfter, lowerBound: lower, max, currency: fact.currency };
        if (over) return [{ path: '', values, details }];
        return [
          {
            path: '',
            status: 'unknown',
            values,
            details,
            message: `Monthly cost of ${resource.id} is unknown (${fact.unknownReason ?? 'unknown'}); its priced part is ${values.monthly.replace('at least ', '')} of the ${values.max} maximum`,
          },
        ];
      },
    };
  },
};

/** The violation of a resource's machine type, if any; `values` is only built for a violation. */
function machineViolation(
  resource: Resource,
  fact: CostFact,
  ok: (type: string, family: string) => boolean,
  values: () => Record<string, unknown>,
): Violation[] {
  const machine = fact.machine;
  if (!machine) return noViolations;
  if (machine.type === null || machine.family === null) {
    const message = `The machine type of ${resource.id} (${machine.path.slice(1).replace(/\/\d+/g, '')}) is unknown until apply`;
    return [
      { path: machine.path, status: 'unknown', unknownPaths: [machine.path], values: values(), message },
    ];
  }
  return ok(machine.type, machine.family)
    ? noViolations
    : [{ path: machine.path, values: { ...values(), type: machine.type, family: machine.family } }];
}

/**
 * `cost-machine-allowlist`: machine types allowed per environment. The environment is the first
 * of `with.environmentTags` found on the resource; `with.environments.<env>` lists globs over the
 * type or family; `with.default` applies to other environments (omit it to leave them unchecked).
 */
export const costMachineAllowlistCheck: CheckDefinition = {
  name: 'cost-machine-allowlist',
  description:
    'Machine types allowed per environment (with.environments, with.environmentTags, with.default).',
  compile(options, policy) {
    const environments = options.environments;
    if (environments === null || typeof environments !== 'object' || Array.isArray(environments)) {
      throw new ParapetError(
        'PARAPET_POLICY_COMPILE',
        `${policy.file}: rule.check.with.environments must map environment names to lists of globs`,
        { file: policy.file },
      );
    }
    const allowed = new Map(
      Object.entries(environments).map(([name, globs]) => [
        name,
        requireGlobs(globs, `environments.${name}`, policy),
      ]),
    );
    const fallback =
      options.default === undefined || options.default === null
        ? undefined
        : requireGlobs(options.default, 'default', policy);
    const tags =
      options.environmentTags === undefined ? ['environment', 'env', 'Environment'] : options.environmentTags;
    if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string')) {
      throw new ParapetError(
        'PARAPET_POLICY_COMPILE',
        `${policy.file}: rule.check.with.environmentTags must be a list of tag names`,
        { file: policy.file },
      );
    }
    return {
      scope: 'resource',
      evaluate(resource) {
        const fact = costOf(resource) ?? (resource.facts.cost as CostFact | undefined);
        if (!fact?.machine) return noViolations;
        const tag = (tags as string[]).find((name) => resource.labels[name] !== undefined);
        const environment = tag === undefined ? undefined : resource.labels[tag]!;
        const globs = (environment !== undefined ? allowed.get(environment) : undefined) ?? fallback;
        if (!globs) return noViolations;
        return machineViolation(resource, fact, globs.matchesMachine, () => ({
          environment: environment ?? '(none)',
          allowed: globs.patterns,
          list: environment !== undefined && allowed.has(environment) ? environment : 'default',
        }));
      },
    };
  },
};

/** `cost-machine-denylist`: machine families or types that should not be used (`with.families`: globs). */
export const costMachineDenylistCheck: CheckDefinition = {
  name: 'cost-machine-denylist',
  description: 'Machine families or types to avoid (with.families: globs over the family or type).',
  compile(options, policy) {
    const denied = requireGlobs(options.families, 'families', policy);
    const allowedMachine = (type: string, family: string) => !denied.matchesMachine(type, family);
    return {
      scope: 'resource',
      evaluate(resource) {
        const fact = resource.facts.cost as CostFact | undefined;
        if (!fact?.machine) return noViolations;
        return machineViolation(resource, fact, allowedMachine, () => ({}));
      },
    };
  },
};

/** Every cost check, for the check registry. */
export const costChecks: CheckDefinition[] = [
  costPlanDeltaCheck,
  costMonthlyMaxCheck,
  costMachineAllowlistCheck,
  costMachineDenylistCheck,
];
