import type { Policy } from '../../model/policy.js';
import type { VapRuleSpec } from '../../vap/types.js';
import type { CompiledRule, RuleType } from './types.js';

/**
 * `vap`: a Kubernetes ValidatingAdmissionPolicy with one binding (made by the VAP policy source).
 * The CEL front end is imported on first use, so runs without such policies never load it.
 */
export const vapRuleType: RuleType = {
  name: 'vap',
  async compile(policy: Policy, rule: Record<string, unknown>): Promise<CompiledRule> {
    return (await import('../../vap/rule.js')).compileVapRule(policy, rule as unknown as VapRuleSpec);
  },
};
