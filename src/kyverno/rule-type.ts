import type { Policy } from '../model/policy.js';
import { compileKyvernoRule } from './rule.js';
import { podSecurityCheck, standaloneContext } from './pod-security.js';
import type { KyvernoRuleSpec } from './source.js';
import type { PodSecurityCheck } from './validate.js';
import type { CompileContext, CompiledRule, RuleType } from '../engine/rules/types.js';
import { schemaRuleType } from '../engine/rules/schema.js';
import { checkRuleType } from '../engine/rules/check.js';
import { createRuleAjv } from '../engine/ajv.js';
import { defaultSettings } from '../model/settings.js';
import { resolveParameters, substituteParameters } from '../engine/params.js';
import { versionedDefaults } from '../engine/versions.js';

let podSecurity: Promise<PodSecurityCheck> | undefined;

/** The built-in PSS policies, compiled once per PSS version for every podSecurity rule of a process. */
function pssCheck(ctx: CompileContext): Promise<PodSecurityCheck> {
  podSecurity ??= podSecurityCheck((policies, settings) => {
    const out = [];
    for (const policy of policies) {
      const [name, spec] = Object.entries(policy.rule)[0]!;
      const type = name === 'schema' ? schemaRuleType : name === 'check' ? checkRuleType : undefined;
      if (!type) continue;
      // The version's parameter defaults, bound as the engine binds them.
      const params = resolveParameters(policy, {}, versionedDefaults(policy, settings));
      const bound = substituteParameters(spec, params, policy) as Record<string, unknown>;
      const compiled = type.compile(policy, bound, { ...ctx, settings, params }) as CompiledRule;
      out.push({
        id: policy.id,
        check(resource: Parameters<NonNullable<CompiledRule['evaluate']>>[0]) {
          const evalCtx = standaloneContext();
          const violations = compiled.evaluateOne
            ? [compiled.evaluateOne(resource, evalCtx)].filter((v) => v !== undefined)
            : compiled.evaluate!(resource, evalCtx);
          return violations
            .filter((v) => v.status !== 'unknown')
            .map((v) => ({ path: v.path, message: v.message ?? policy.title }));
        },
      });
    }
    return out;
  });
  return podSecurity;
}

/** `kyverno`: a Kyverno ClusterPolicy / Policy validate rule. */
export const kyvernoRuleType: RuleType = {
  name: 'kyverno',
  async compile(_policy: Policy, rule: Record<string, unknown>, ctx: CompileContext): Promise<CompiledRule> {
    const spec = rule as unknown as KyvernoRuleSpec;
    const check = spec.rule.validate?.podSecurity ? await pssCheck(ctx) : undefined;
    return compileKyvernoRule(spec, check);
  },
};

/** The podSecurity check on the built-in PSS policies, for callers outside an engine (`parapet test`). */
export function kyvernoPodSecurity(): Promise<PodSecurityCheck> {
  const settings = defaultSettings();
  return pssCheck({
    settings,
    params: {},
    ajv: createRuleAjv(),
    ajvAllErrors: createRuleAjv({ allErrors: true }),
  });
}
