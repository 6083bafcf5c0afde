import type { Policy } from '../../model/policy.js';
import type { CompileContext, CompiledRule, RuleType } from './types.js';

/** `rego`: a Rego entrypoint compiled to Wasm (native policies, Conftest rules, Gatekeeper constraints). */
export const regoRuleType: RuleType = {
  name: 'rego',
  async compile(policy: Policy, rule: Record<string, unknown>, ctx: CompileContext): Promise<CompiledRule> {
    // The Rego backend (OPA's Wasm runtime, worker threads) loads only for runs that have Rego rules.
    const { compileRegoRule } = await import('../../rego/rule.js');
    return compileRegoRule(policy, rule, ctx);
  },
};
