import type { Policy } from '../../model/policy.js';
import type { CompileContext, CompiledRule, RuleType } from './types.js';

/** `kyverno`: a Kyverno ClusterPolicy / Policy validate rule (src/kyverno/rule-type.ts). */
export const kyvernoRuleType: RuleType = {
  name: 'kyverno',
  async compile(policy: Policy, rule: Record<string, unknown>, ctx: CompileContext): Promise<CompiledRule> {
    // The Kyverno front end (JMESPath, its own ajv) loads only for runs that have Kyverno rules.
    const { kyvernoRuleType: implementation } = await import('../../kyverno/rule-type.js');
    return implementation.compile(policy, rule, ctx);
  },
};
