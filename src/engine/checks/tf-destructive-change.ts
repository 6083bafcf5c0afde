import { globMatcher } from '../keywords/glob.js';
import { ParapetError } from '../../model/errors.js';
import { wildcard } from '../approvals.js';
import type { Resource } from '../../model/resource.js';
import type { CompiledRule, Violation } from '../rules/types.js';
import type { CheckDefinition } from './types.js';

interface ChangeView {
  actions?: string[];
  replace?: boolean;
  replacePaths?: string[];
  actionReason?: string;
  deposed?: string;
}

function stringList(value: unknown, option: string, policyFile: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new ParapetError(
      'PARAPET_POLICY_COMPILE',
      `${policyFile}: rule.check.with.${option} must be a list of strings`,
      {
        file: policyFile,
      },
    );
  }
  return value as string[];
}

/** `*` wildcards, the rest literal; an address without an index also covers every instance. */
function addressMatcher(pattern: string): (address: string) => boolean {
  if (!pattern.includes('*')) return (address) => address === pattern || address.startsWith(`${pattern}[`);
  return wildcard(pattern);
}

/**
 * `tf-destructive-change`: a planned delete or replace of a protected resource. Options:
 * - `actions`: which changes count, `delete` (every destroy, replacements included) and/or `replace`;
 * - `kinds`: minimatch globs over resource types;
 * - `tags`: tag name -> accepted values (`*` for any value), read from the merged tags;
 * - `addresses`: plan addresses (`*` wildcards; an address without an index covers every instance);
 * - `label`: the word messages use for the matched set (default `protected`, e.g. `stateful`).
 * A resource is protected when any of kinds, tags or addresses matches it.
 */
export const tfDestructiveChangeCheck: CheckDefinition = {
  name: 'tf-destructive-change',
  description: 'planned deletes and replacements of protected Terraform resources',
  compile(options, policy): CompiledRule {
    const actions = new Set(stringList(options.actions ?? ['delete'], 'actions', policy.file));
    for (const action of actions) {
      if (action !== 'delete' && action !== 'replace') {
        throw new ParapetError(
          'PARAPET_POLICY_COMPILE',
          `${policy.file}: rule.check.with.actions: "${action}" is not delete or replace`,
          {
            file: policy.file,
          },
        );
      }
    }
    const kindGlobs = stringList(options.kinds, 'kinds', policy.file);
    // minimatch's own defaults (no dot files), as `new Minimatch(glob)` has them; compiled on first use.
    const kinds = kindGlobs.length ? globMatcher(kindGlobs, {}) : undefined;
    const addresses = stringList(options.addresses, 'addresses', policy.file).map(addressMatcher);
    const label = typeof options.label === 'string' && options.label ? options.label : 'protected';
    const tagOption = options.tags ?? {};
    if (typeof tagOption !== 'object' || tagOption === null || Array.isArray(tagOption)) {
      throw new ParapetError(
        'PARAPET_POLICY_COMPILE',
        `${policy.file}: rule.check.with.tags must map tag names to values`,
        {
          file: policy.file,
        },
      );
    }
    const tags = Object.entries(tagOption as Record<string, unknown>).map(([name, values]) => ({
      name,
      values: new Set((Array.isArray(values) ? values : [values]).map(String)),
    }));

    /** Why the resource is protected, or undefined. */
    const protection = (resource: Resource): string | undefined => {
      if (kinds?.(resource.kind)) return `${resource.kind} is a ${label} kind`;
      const address = resource.id.replace(/ \(deposed [^)]*\)$/, '');
      if (addresses.some((matches) => matches(address))) return `its address is ${label}`;
      const resourceTags = (resource.facts.tags as Record<string, string> | undefined) ?? resource.labels;
      for (const { name, values } of tags) {
        const value = resourceTags[name];
        if (value !== undefined && (values.has('*') || values.has(value)))
          return `it is tagged ${name}=${value}`;
      }
      return undefined;
    };

    const evaluate = (resource: Resource): Violation[] => {
      const change = resource.facts.change as ChangeView | undefined;
      const planned = change?.actions ?? [];
      const replace = change?.replace ?? (planned.includes('delete') && planned.includes('create'));
      const deletes = planned.includes('delete');
      const counts =
        (replace && (actions.has('replace') || actions.has('delete'))) ||
        (deletes && !replace && actions.has('delete'));
      if (!counts) return [];
      const why = protection(resource);
      if (!why) return [];
      const forcedBy = change?.replacePaths?.length ? `; forced by ${change.replacePaths.join(', ')}` : '';
      const reason = change?.actionReason ? ` (${change.actionReason.replace(/_/g, ' ')})` : '';
      const verb = replace ? 'replaces' : change?.deposed ? 'destroys a deposed object of' : 'destroys';
      return [
        {
          path: change?.replacePaths?.[0] ?? '',
          message: `plan ${verb} ${resource.id}${reason}: ${why}${forcedBy}`,
          details: { actions: planned, protectedBecause: why, replacePaths: change?.replacePaths ?? [] },
        },
      ];
    };
    return { scope: 'resource', evaluate };
  },
};
