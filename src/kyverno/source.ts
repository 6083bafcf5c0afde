/**
 * Kyverno policies in a policy directory become parapet policies: one per validate rule, id
 * `POLICY/RULE` (`NAMESPACE/POLICY/RULE` for a namespaced Policy), autogen rules included.
 */
import { readFileSync } from 'node:fs';
import type { Mode, Policy, Severity } from '../model/policy.js';
import type { Notice } from '../model/result.js';
import type { PolicySourceLoader } from '../policies/source-loader.js';
import { mentionsKyvernoPolicy, readKyvernoPolicies, type LoadedKyvernoPolicy } from './load.js';
import { kindsOf } from './match.js';
import type { KyvernoRule } from './types.js';

/** What a generated policy's `rule.kyverno` carries. */
export interface KyvernoRuleSpec {
  policy: LoadedKyvernoPolicy;
  rule: KyvernoRule;
  /** Notices about the policy's rules parapet does not run (carried by its first rule). */
  notices: Notice[];
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
}

const severities: Record<string, Severity> = {
  critical: 'critical',
  high: 'high',
  medium: 'medium',
  low: 'low',
  info: 'info',
};

/** Enforce blocks; Audit (Kyverno's default) reports without failing the run. */
export function modeOf(policy: LoadedKyvernoPolicy, rule: KyvernoRule): Mode {
  const action = rule.validate?.failureAction ?? policy.doc.spec.validationFailureAction ?? 'Audit';
  return action.toLowerCase() === 'enforce' ? 'enforce' : 'audit';
}

/** The parapet policies for one Kyverno policy. */
export function kyvernoPolicies(loaded: LoadedKyvernoPolicy, builtin: boolean): Policy[] {
  const annotations = loaded.doc.metadata.annotations ?? {};
  const title = annotations['policies.kyverno.io/title'] ?? loaded.doc.metadata.name;
  const category = annotations['policies.kyverno.io/category'];
  const severity = severities[(annotations['policies.kyverno.io/severity'] ?? '').toLowerCase()] ?? 'medium';
  const notices: Notice[] = loaded.unsupported.map((entry) => ({
    level: 'warning',
    code: 'kyverno-unsupported',
    file: loaded.file,
    message: `${loaded.file}: ${loaded.doc.kind} ${loaded.key} rule ${entry.rule}: ${entry.reason}; it is not evaluated`,
  }));
  const tags = [
    'kyverno',
    ...(category
      ? category
          .split(',')
          .map((c) => slug(c))
          .filter(Boolean)
      : []),
  ];
  return loaded.rules.map((rule, i) => {
    const spec: KyvernoRuleSpec = { policy: loaded, rule, notices: i === 0 ? notices : [] };
    const kinds = kindsOf(rule.match);
    return {
      id: `${loaded.key}/${rule.name}`,
      title: `${title}: ${rule.name}`,
      description: annotations['policies.kyverno.io/description']?.trim(),
      severity,
      category: 'kyverno',
      tags,
      references: [],
      match: { source: 'kubernetes', kinds },
      rule: { kyverno: spec } as unknown as Policy['rule'],
      message: `Kyverno rule ${rule.name} of ${loaded.key} failed`,
      defaultMode: modeOf(loaded, rule),
      file: loaded.file,
      builtin,
    };
  });
}

/** Kyverno `ClusterPolicy` / `Policy` YAML files in a policy directory. */
export const kyvernoPolicySource: PolicySourceLoader = {
  name: 'kyverno',
  load(_dir, files, ctx) {
    const policies: Policy[] = [];
    const claimed: string[] = [];
    for (const file of files) {
      if (!/\.ya?ml$/i.test(file)) continue;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      if (!mentionsKyvernoPolicy(text)) continue;
      const loaded = readKyvernoPolicies(file, text);
      if (loaded.length === 0) continue;
      claimed.push(file);
      for (const policy of loaded) policies.push(...kyvernoPolicies(policy, ctx.builtin));
    }
    return Promise.resolve({ policies, claimed });
  },
};
