import { ParapetError } from '../../model/errors.js';
import type { CheckRule, Policy } from '../../model/policy.js';
import { checks } from '../checks/index.js';
import type { CompileContext, CompiledRule, RuleType } from './types.js';

/** `check`: a named TypeScript check from `src/engine/checks/`. */
export const checkRuleType: RuleType = {
  name: 'check',
  compile(policy: Policy, rule: Record<string, unknown>, ctx: CompileContext): CompiledRule {
    const spec = rule as unknown as CheckRule['check'];
    const definition = checks.find((check) => check.name === spec.name);
    if (!definition) {
      throw new ParapetError(
        'PARAPET_POLICY_COMPILE',
        `${policy.file}: rule.check.name: no check named "${spec.name}" (known: ${
          checks
            .map((check) => check.name)
            .sort()
            .join(', ') || 'none'
        })`,
        { file: policy.file },
      );
    }
    return definition.compile(spec.with ?? {}, policy, ctx);
  },
};
