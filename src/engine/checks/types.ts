import type { Policy } from '../../model/policy.js';
import type { CompileContext, CompiledRule } from '../rules/types.js';

/** A rule written in TypeScript, for logic data cannot express; policies name it with `rule.check.name`. */
export interface CheckDefinition {
  name: string;
  description: string;
  /** Build the evaluator once per policy from the policy's `with` options (parameters already substituted). */
  compile(options: Record<string, unknown>, policy: Policy, ctx: CompileContext): CompiledRule;
}
