import type { Policy } from '../../model/policy.js';
import { compileRegoRule } from '../../rego/rule.js';
import type { CompileContext, CompiledRule, RuleType } from './types.js';

/** `rego`: a Rego entrypoint compiled to Wasm (native policies, Conftest rules, Gatekeeper constraints). */
export const regoRuleType: RuleType = {
  name: 'rego',
  compile(policy: Policy, rule: Record<string, unknown>, ctx: CompileContext): CompiledRule {
    return compileRegoRule(policy, rule, ctx);
  },
};
