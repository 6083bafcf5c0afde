/**
 * ValidatingAdmissionPolicy files in a policy folder: every policy with each of its bindings becomes
 * one parapet policy (`vap.<policy>.<binding>`), in the mode its validationActions give. A policy
 * no binding names is loaded but inactive. CustomResourceDefinitions beside them teach the kind to
 * resource mapping; other Kubernetes objects there (ConfigMaps, custom resources, Namespaces) are the
 * cluster state that paramRef and namespace selectors read in CI.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describeError, ParapetError } from '../model/errors.js';
import type { Mode, Policy, Severity } from '../model/policy.js';
import type { PolicySourceLoader } from '../policies/source-loader.js';
import {
  clusterObject,
  crdResources,
  isCustomResourceDefinition,
  isVapDocument,
  parseBinding,
  parsePolicy,
  VapParseError,
} from './parse.js';
import { kubernetesResources } from './kinds.generated.js';
import type {
  ClusterObject,
  ValidatingAdmissionPolicy,
  ValidatingAdmissionPolicyBinding,
  VapRuleSpec,
} from './types.js';

const VAP_TEXT = /^\s*kind:\s*ValidatingAdmissionPolicy(Binding)?\s*$/m;

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
}

function modeOf(actions: ValidatingAdmissionPolicyBinding['validationActions']): Mode {
  if (actions.includes('Deny')) return 'enforce';
  if (actions.includes('Warn')) return 'warn';
  return 'audit';
}

const severityOf: Record<Mode, Severity> = { enforce: 'high', warn: 'medium', audit: 'low' };

/** The kinds a policy's resource rules can match (undefined: any kind). */
function kindsOf(
  policy: ValidatingAdmissionPolicy,
  rows: ReadonlyArray<readonly [string, string, string, string, boolean]>,
): string[] | undefined {
  const rules = policy.matchConstraints?.resourceRules ?? [];
  if (rules.some((rule) => (rule.resources ?? []).some((r) => r.startsWith('*')))) return undefined;
  const kinds = new Set<string>();
  for (const [group, , kind, resource] of rows) {
    for (const rule of rules) {
      const groups = rule.apiGroups ?? [];
      const resources = (rule.resources ?? []).map((r) => r.split('/')[0]);
      if ((groups.includes('*') || groups.includes(group)) && resources.includes(resource)) kinds.add(kind);
    }
  }
  return [...kinds].sort();
}

function readDocuments(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ParapetError(
      'PARAPET_POLICY_READ',
      `${file}: cannot read policy file: ${describeError(error)}`,
      { file },
    );
  }
  const docs: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0)
      throw new ParapetError(
        'PARAPET_POLICY_INVALID',
        `${file}: invalid YAML: ${doc.errors[0]!.message.split('\n')[0]}`,
        { file },
      );
    docs.push(doc.toJS({ maxAliasCount: 100 }));
  }
  return docs;
}

export const vapPolicySource: PolicySourceLoader = {
  name: 'validating-admission-policy',
  async load(_dir, files, ctx) {
    const yamlFiles = files.filter((file) => /\.ya?ml$/i.test(file));
    const withPolicies = yamlFiles.filter((file) => VAP_TEXT.test(readFileSync(file, 'utf8')));
    if (withPolicies.length === 0) return { policies: [], claimed: [] };
    const policies = new Map<string, ValidatingAdmissionPolicy>();
    const bindings: ValidatingAdmissionPolicyBinding[] = [];
    const objects: ClusterObject[] = [];
    const customResources: Array<readonly [string, string, string, string, boolean]> = [];
    const claimed = new Set<string>();
    for (const file of yamlFiles) {
      for (const doc of readDocuments(file)) {
        try {
          if (isVapDocument(doc)) {
            claimed.add(file);
            if (doc.kind === 'ValidatingAdmissionPolicy') {
              const policy = parsePolicy(doc, file);
              const existing = policies.get(policy.name);
              if (existing)
                throw new VapParseError(
                  `ValidatingAdmissionPolicy ${policy.name} is already defined in ${existing.file}`,
                );
              policies.set(policy.name, policy);
            } else bindings.push(parseBinding(doc, file));
          } else if (isCustomResourceDefinition(doc)) {
            claimed.add(file);
            customResources.push(...crdResources(doc));
          } else {
            const object = clusterObject(doc, file);
            if (object) objects.push(object);
          }
        } catch (error) {
          if (error instanceof VapParseError)
            throw new ParapetError('PARAPET_POLICY_INVALID', `${file}: ${error.message}`, { file });
          throw error;
        }
      }
    }
    const rows = [...kubernetesResources, ...customResources];
    const out: Policy[] = [];
    for (const policy of policies.values()) {
      const bound = bindings.filter((binding) => binding.policyName === policy.name);
      const kinds = kindsOf(policy, rows);
      const base = {
        description: `ValidatingAdmissionPolicy ${policy.name} (${policy.file}), evaluated as kube-apiserver evaluates it.`,
        category: 'admission-policy',
        references: [],
        file: policy.file,
        builtin: ctx.builtin,
      };
      if (bound.length === 0) {
        const spec: VapRuleSpec = { policy, objects, customResources };
        out.push({
          ...base,
          id: `vap.${slug(policy.name)}`,
          title: `ValidatingAdmissionPolicy ${policy.name} (no binding: inactive)`,
          severity: 'info',
          tags: ['vap', 'cel', 'inactive'],
          match: { source: 'kubernetes', kinds },
          rule: { vap: spec } as unknown as Policy['rule'],
          message: `ValidatingAdmissionPolicy ${policy.name} has no binding`,
          defaultMode: 'audit',
        });
        continue;
      }
      for (const binding of bound) {
        const spec: VapRuleSpec = { policy, binding, objects, customResources };
        const mode = modeOf(binding.validationActions);
        out.push({
          ...base,
          id: `vap.${slug(policy.name)}.${slug(binding.name)}`,
          title: `ValidatingAdmissionPolicy ${policy.name} with binding ${binding.name}`,
          severity: severityOf[mode],
          tags: ['vap', 'cel', ...binding.validationActions.map((action) => action.toLowerCase())],
          match: { source: 'kubernetes', kinds },
          rule: { vap: spec } as unknown as Policy['rule'],
          message: `ValidatingAdmissionPolicy '${policy.name}' with binding '${binding.name}' denied the request`,
          defaultMode: mode,
        });
      }
    }
    return { policies: out, claimed: [...claimed] };
  },
};
