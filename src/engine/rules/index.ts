import { aggregateRuleType } from './aggregate.js';
import { checkRuleType } from './check.js';
import { kyvernoRuleType } from './kyverno.js';
import { regoRuleType } from './rego.js';
import { relationRuleType } from './relation.js';
import { schemaRuleType } from './schema.js';
import type { RuleType } from './types.js';

/** Every rule type, by the key a policy's `rule` uses. */
export const ruleTypes: RuleType[] = [
  schemaRuleType,
  relationRuleType,
  aggregateRuleType,
  checkRuleType,
  regoRuleType,
  kyvernoRuleType,
];

export type {
  CompiledRule,
  CompileContext,
  EvalContext,
  RuleType,
  SetViolation,
  Violation,
} from './types.js';
