import { describeError, ParapetError } from '../../model/errors.js';
import type { AggregateRule, Policy } from '../../model/policy.js';
import type { Resource } from '../../model/resource.js';
import { getAtPointer } from '../pointer.js';
import { resourceView, viewPointerToBodyPointer } from '../view.js';
import type { CompileContext, CompiledRule, RuleType, SetViolation } from './types.js';

function groupKey(resource: Resource, groupBy: 'all' | 'file' | 'namespace'): string {
  if (groupBy === 'file') return resource.location.file;
  if (groupBy === 'namespace') return resource.namespace ?? '';
  return '';
}

/**
 * `aggregate`: a count of matching resources, or a sum of a number they carry, per group (the whole
 * input, each file, each namespace), against a maximum or minimum. The finding lands on the group's
 * first resource (in report order) and names the members.
 */
export const aggregateRuleType: RuleType = {
  name: 'aggregate',
  compile(policy: Policy, rule: Record<string, unknown>, ctx: CompileContext): CompiledRule {
    const spec = rule as unknown as AggregateRule['aggregate'];
    let where: ((data: unknown) => boolean) | undefined;
    try {
      where = spec.where === undefined ? undefined : ctx.ajv.compile(spec.where as Record<string, unknown>);
    } catch (error) {
      throw new ParapetError(
        'PARAPET_POLICY_COMPILE',
        `${policy.file}: rule.aggregate.where: ${describeError(error)}`,
        {
          file: policy.file,
        },
      );
    }
    const max = spec.max as number | undefined;
    const min = spec.min as number | undefined;
    for (const [name, limit] of [
      ['max', max],
      ['min', min],
    ] as const) {
      if (limit !== undefined && typeof limit !== 'number') {
        throw new ParapetError(
          'PARAPET_POLICY_COMPILE',
          `${policy.file}: rule.aggregate.${name} must be a number`,
          { file: policy.file },
        );
      }
    }
    const groupBy = spec.groupBy ?? 'all';

    return {
      scope: 'set',
      evaluateSet(resources: Resource[]): SetViolation[] {
        const groups = new Map<string, { members: Resource[]; total: number; unknown: string[] }>();
        for (const resource of resources) {
          const view = resourceView(resource);
          if (where && !where(view)) continue;
          const key = groupKey(resource, groupBy);
          let group = groups.get(key);
          if (!group) groups.set(key, (group = { members: [], total: 0, unknown: [] }));
          group.members.push(resource);
          if (spec.sum === undefined) {
            group.total += 1;
          } else {
            const value = getAtPointer(view, spec.sum);
            if (typeof value === 'number' && Number.isFinite(value)) group.total += value;
            else if (value === null) group.unknown.push(resource.id); // a number known only at apply time
          }
        }
        const out: SetViolation[] = [];
        for (const [key, group] of groups) {
          const first = group.members[0]!;
          const total = Math.round(group.total * 100) / 100;
          const values = {
            total,
            max,
            min,
            count: group.members.length,
            group: key,
            members: group.members.map((m) => m.id),
          };
          const path = spec.sum === undefined ? '' : viewPointerToBodyPointer(first, spec.sum);
          if (max !== undefined && total > max) out.push({ resource: first, path, values, details: values });
          else if (min !== undefined && total < min && group.unknown.length === 0)
            out.push({ resource: first, path, values, details: values });
          else if (group.unknown.length > 0 && max !== undefined) {
            out.push({
              resource: first,
              path,
              status: 'unknown',
              values,
              details: { ...values, unknownMembers: group.unknown },
            });
          }
        }
        return out;
      },
    };
  },
};
