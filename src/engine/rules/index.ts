import { aggregateRuleType } from './aggregate.js';
import { checkRuleType } from './check.js';
import { kyvernoRuleType } from './kyverno.js';
import { regoRuleType } from './rego.js';
import { relationRuleType } from './relation.js';
import { schemaRuleType } from './schema.js';
import type { RuleType } from './types.js';
import { vapRuleType } from './vap.js';

/** Every rule type, by the key a policy's `rule` uses. */
export const ruleTypes: RuleType[] = [
  schemaRuleType,
  relationRuleType,
  aggregateRuleType,
  checkRuleType,
  regoRuleType,
  kyvernoRuleType,
  vapRuleType,
];

export type {
  CompiledRule,
  CompileContext,
  EvalContext,
  RuleType,
  SetViolation,
  Violation,
} from './types.js';
