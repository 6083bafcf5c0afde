import type { ValidateFunction } from 'ajv';
import { Minimatch } from 'minimatch';
import { describeError, ParapetError } from '../../model/errors.js';
import type { Policy, RelationJoin, RelationRule } from '../../model/policy.js';
import type { Resource } from '../../model/resource.js';
import { selectorMatches } from '../label-selector.js';
import { rememberKinds } from '../match.js';
import { getAtPointer } from '../pointer.js';
import { resourceView } from '../view.js';
import type { CompileContext, CompiledRule, EvalContext, RuleType, SetViolation } from './types.js';

const noReferences: readonly string[] = Object.freeze([]);

/**
 * The addresses `attribute` (or any attribute of a list) refers to (read only: the plan adapter's own
 * list when it holds strings).
 */
function referenceTargets(resource: Resource, attribute: string | readonly string[]): readonly string[] {
  if (typeof attribute !== 'string') {
    const lists = attribute.map((name) => referenceTargets(resource, name)).filter((list) => list.length);
    return lists.length <= 1 ? (lists[0] ?? noReferences) : [...new Set(lists.flat())];
  }
  const references = resource.facts.references as Record<string, unknown> | undefined;
  const value = references?.[attribute];
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return noReferences;
  for (const item of value) if (typeof item !== 'string') return value.map(String);
  return value as string[];
}

/** A reference names a resource when it is its address, or the address without the instance key. */
function referenceNames(reference: string, resource: Resource): boolean {
  if (reference === resource.id) return true;
  const bracket = resource.id.lastIndexOf('[');
  return bracket > 0 && resource.id.endsWith(']') && reference === resource.id.slice(0, bracket);
}

/** The address without its instance key: `aws_s3_bucket.b[0]` -> `aws_s3_bucket.b`. */
function withoutIndex(id: string): string | undefined {
  const bracket = id.lastIndexOf('[');
  return bracket > 0 && id.endsWith(']') ? id.slice(0, bracket) : undefined;
}

const noCandidates: readonly Resource[] = Object.freeze([]);

/** True when a candidate other than `self` satisfies every join (a loop: it runs once per resource). */
function anyRelated(pool: readonly Resource[], self: Resource, joins: readonly RelationJoin[]): boolean {
  for (let i = 0; i < pool.length; i += 1) {
    const candidate = pool[i]!;
    if (candidate === self) continue;
    let holds = true;
    for (let j = 0; j < joins.length && holds; j += 1) holds = joinHolds(joins[j]!, self, candidate);
    if (holds) return true;
  }
  return false;
}

function push(index: Map<string, Resource[]>, key: string, resource: Resource): void {
  const list = index.get(key);
  if (list) list.push(resource);
  else index.set(key, [resource]);
}

function joinHolds(join: RelationJoin, self: Resource, related: Resource): boolean {
  if ('sameNamespace' in join) return (self.namespace ?? '') === (related.namespace ?? '');
  if ('selects' in join) {
    const labels = (self.facts.podLabels as Record<string, string> | undefined) ?? self.labels;
    return selectorMatches(getAtPointer(related.body, join.selects.selector), labels);
  }
  if ('references' in join) {
    return referenceTargets(related, join.references.attribute).some((ref) => referenceNames(ref, self));
  }
  if ('referencedBy' in join) {
    return referenceTargets(self, join.referencedBy.attribute).some((ref) => referenceNames(ref, related));
  }
  const left = getAtPointer(resourceView(self), join.equal.self);
  return left !== undefined && left === getAtPointer(resourceView(related), join.equal.related);
}

function compile(policy: Policy, schema: unknown, field: string, ctx: CompileContext): ValidateFunction {
  try {
    return ctx.ajv.compile(schema as Record<string, unknown>);
  } catch (error) {
    throw new ParapetError(
      'PARAPET_POLICY_COMPILE',
      `${policy.file}: rule.relation.${field}: ${describeError(error)}`,
      {
        file: policy.file,
      },
    );
  }
}

/**
 * `relation`: a resource needs (`expect: present`) or must not have (`expect: absent`) a related
 * resource, tied to it by joins: same namespace, a label selector, or Terraform references.
 */
export const relationRuleType: RuleType = {
  name: 'relation',
  compile(policy: Policy, rule: Record<string, unknown>, ctx: CompileContext): CompiledRule {
    const spec = rule as unknown as RelationRule['relation'];
    const relatedAssert =
      spec.related.assert === undefined
        ? undefined
        : compile(policy, spec.related.assert, 'related.assert', ctx);
    const unless = spec.unless === undefined ? undefined : compile(policy, spec.unless, 'unless', ctx);
    const kindPatterns = spec.related.kinds.map((kind) => new Minimatch(kind));
    // Every resource of a run is a possible candidate.
    const kindMatches = rememberKinds((kind) => kindPatterns.some((pattern) => pattern.match(kind)));
    const sameNamespace = spec.join.some((join) => 'sameNamespace' in join);
    // Terraform joins go through indexes: a plan has tens of thousands of candidates.
    const referencesJoin = spec.join.find(
      (join): join is { references: { attribute: string | string[] } } => 'references' in join,
    );
    const referencedByJoin = spec.join.find(
      (join): join is { referencedBy: { attribute: string | string[] } } => 'referencedBy' in join,
    );
    const path = spec.path ?? '';

    // Candidates are drawn from every resource of the run, not only those the policy matched.
    const ofKinds = (source: string, kind: string) =>
      (spec.related.source === undefined || source === spec.related.source) && kindMatches(kind);

    return {
      scope: 'set',
      readsKinds: ofKinds,
      evaluateSet(resources: Resource[], ctx: EvalContext): SetViolation[] {
        let candidates = ctx.resourcesOfKinds
          ? ctx.resourcesOfKinds(ofKinds)
          : ctx.resources.filter((resource) => ofKinds(resource.source, resource.kind));
        if (relatedAssert)
          candidates = candidates.filter((resource) => relatedAssert(resourceView(resource)));
        const byNamespace = new Map<string, Resource[]>();
        if (sameNamespace) {
          for (const candidate of candidates) {
            const key = candidate.namespace ?? '';
            const list = byNamespace.get(key);
            if (list) list.push(candidate);
            else byNamespace.set(key, [candidate]);
          }
        }
        // references: candidates by the addresses they refer to; referencedBy: candidates by address.
        let byReference: Map<string, Resource[]> | undefined;
        let byAddress: Map<string, Resource[]> | undefined;
        if (referencesJoin) {
          byReference = new Map();
          for (let i = 0; i < candidates.length; i += 1) {
            const candidate = candidates[i]!;
            const targets = referenceTargets(candidate, referencesJoin.references.attribute);
            if (targets.length === 1) push(byReference, targets[0]!, candidate);
            else for (const reference of new Set(targets)) push(byReference, reference, candidate);
          }
        } else if (referencedByJoin) {
          byAddress = new Map();
          for (const candidate of candidates) {
            push(byAddress, candidate.id, candidate);
            const base = withoutIndex(candidate.id);
            if (base !== undefined) push(byAddress, base, candidate);
          }
        }
        const indexedPool = (resource: Resource): readonly Resource[] => {
          if (byReference) {
            // The candidates referring to the resource's address or to its address without the key.
            const exact = byReference.get(resource.id);
            const base = withoutIndex(resource.id);
            const loose = base === undefined ? undefined : byReference.get(base);
            if (!loose) return exact ?? noCandidates;
            if (!exact) return loose;
            return [...new Set([...exact, ...loose])];
          }
          const keys = referenceTargets(resource, referencedByJoin!.referencedBy.attribute);
          let first: Resource[] | undefined;
          let found: Set<Resource> | undefined;
          for (const key of keys) {
            const list = byAddress!.get(key);
            if (!list) continue;
            if (!first) first = list;
            else {
              found ??= new Set(first);
              for (const candidate of list) found.add(candidate);
            }
          }
          // One key found (the common case): its list has no duplicates and is only read.
          return found ? [...found] : (first ?? noCandidates);
        };
        // The indexed join holds for every candidate its index returns: the pool is drawn by it.
        const indexedJoin = referencesJoin ?? referencedByJoin;
        const otherJoins = indexedJoin ? spec.join.filter((join) => join !== indexedJoin) : spec.join;
        const out: SetViolation[] = [];
        // Indexed: one call per run walks every matched resource (an array iterator allocates per
        // step until the loop is optimised).
        for (let i = 0; i < resources.length; i += 1) {
          const resource = resources[i]!;
          if (unless && unless(resourceView(resource))) continue;
          const indexed = byReference || byAddress;
          const pool = indexed
            ? indexedPool(resource)
            : sameNamespace
              ? (byNamespace.get(resource.namespace ?? '') ?? noCandidates)
              : candidates;
          const joins = indexed ? otherJoins : spec.join;
          if (spec.expect === 'present') {
            // One related resource settles it: no list is needed.
            if (!anyRelated(pool, resource, joins)) out.push({ resource, path, values: { related: [] } });
          } else if (spec.expect === 'absent') {
            const related = pool.filter(
              (candidate) =>
                candidate !== resource && joins.every((join) => joinHolds(join, resource, candidate)),
            );
            if (related.length > 0) {
              out.push({
                resource,
                path,
                values: { related: related.map((r) => r.id) },
                details: { related: related.map((r) => r.id) },
              });
            }
          }
        }
        return out;
      },
    };
  },
};
