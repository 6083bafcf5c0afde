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

/** Globs over machine types and families (minimatch, dot files not special-cased). */
function requireGlobs(
  value: unknown,
  where: string,
  policy: Policy,
): { matches: (subject: string) => boolean; patterns: string } {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new ParapetError(
      'PARAPET_POLICY_COMPILE',
      `${policy.file}: rule.check.with.${where} must be a list of globs`,
      { file: policy.file },
    );
  }
  const patterns = value as string[];
  return {
    matches: globMatcher(patterns, { nocomment: true, nonegate: true }),
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
        for (const resource of resources) {
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
          for (const resource of members) {
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
    return {
      scope: 'resource',
      evaluate(resource): Violation[] {
        const fact = costOf(resource);
        if (!fact) return [];
        const lower = monthlyAfterLowerBound(fact);
        const values = {
          monthly:
            fact.monthlyAfter === null
              ? `at least ${formatMoney(lower, fact.currency)}`
              : formatMoney(fact.monthlyAfter, fact.currency),
          max: formatMoney(max, fact.currency),
        };
        const details = { monthlyAfter: fact.monthlyAfter, lowerBound: lower, max, currency: fact.currency };
        if (lower > max) return [{ path: '', values, details }];
        if (fact.monthlyAfter === null) {
          return [
            {
              path: '',
              status: 'unknown',
              values,
              details,
              message: `Monthly cost of ${resource.id} is unknown (${fact.unknownReason ?? 'unknown'}); its priced part is ${values.monthly.replace('at least ', '')} of the ${values.max} maximum`,
            },
          ];
        }
        return [];
      },
    };
  },
};

function machineViolation(
  resource: Resource,
  fact: CostFact,
  ok: (type: string, family: string) => boolean,
  values: Record<string, unknown>,
): Violation[] {
  const machine = fact.machine;
  if (!machine) return [];
  if (machine.type === null || machine.family === null) {
    const message = `The machine type of ${resource.id} (${machine.path.slice(1).replace(/\/\d+/g, '')}) is unknown until apply`;
    return [{ path: machine.path, status: 'unknown', unknownPaths: [machine.path], values, message }];
  }
  return ok(machine.type, machine.family)
    ? []
    : [{ path: machine.path, values: { ...values, type: machine.type, family: machine.family } }];
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
        if (!fact?.machine) return [];
        const tag = (tags as string[]).find((name) => resource.labels[name] !== undefined);
        const environment = tag === undefined ? undefined : resource.labels[tag]!;
        const globs = (environment !== undefined ? allowed.get(environment) : undefined) ?? fallback;
        if (!globs) return [];
        const list = environment !== undefined && allowed.has(environment) ? environment : 'default';
        const { matches } = globs;
        return machineViolation(resource, fact, (type, family) => matches(type) || matches(family), {
          environment: environment ?? '(none)',
          allowed: globs.patterns,
          list,
        });
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
    return {
      scope: 'resource',
      evaluate(resource) {
        const fact = resource.facts.cost as CostFact | undefined;
        if (!fact?.machine) return [];
        return machineViolation(
          resource,
          fact,
          (type, family) => !denied.matches(type) && !denied.matches(family),
          {},
        );
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
