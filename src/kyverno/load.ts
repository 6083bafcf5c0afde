/**
 * Reading Kyverno policies: `kyverno.io/v1` (and v2beta1) `ClusterPolicy` and `Policy` documents,
 * their rules after autogen, and which rules parapet cannot run (mutate, generate, verifyImages).
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describeError, ParapetError } from '../model/errors.js';
import { computeRules } from './autogen.js';
import type { KyvernoPolicyDoc, KyvernoRule } from './types.js';

export interface LoadedKyvernoPolicy {
  doc: KyvernoPolicyDoc;
  file: string;
  /** `name` for a ClusterPolicy, `namespace/name` for a Policy (as `kyverno test` names them). */
  key: string;
  /** The validate rules Kyverno runs, autogen rules included. */
  rules: KyvernoRule[];
  /** Rules parapet does not run, each with the reason. */
  unsupported: Array<{ rule: string; reason: string }>;
}

const KYVERNO_API = /^kyverno\.io\/(v1|v2beta1|v2)$/;

/** True for a Kyverno ClusterPolicy or Policy document. */
export function isKyvernoPolicy(value: unknown): value is KyvernoPolicyDoc {
  if (typeof value !== 'object' || value === null) return false;
  const doc = value as Record<string, unknown>;
  return (
    typeof doc.apiVersion === 'string' &&
    KYVERNO_API.test(doc.apiVersion) &&
    (doc.kind === 'ClusterPolicy' || doc.kind === 'Policy')
  );
}

/** Quick test on file text before parsing it. */
export function mentionsKyvernoPolicy(text: string): boolean {
  return (
    /^\s*apiVersion:\s*["']?kyverno\.io\//m.test(text) && /^\s*kind:\s*["']?(Cluster)?Policy\b/m.test(text)
  );
}

function fail(file: string, message: string): never {
  throw new ParapetError('PARAPET_KYVERNO', `${file}: ${message}`, { file });
}

function unsupportedReason(rule: KyvernoRule): string | undefined {
  if (rule.mutate) return 'mutate rules are not supported';
  if (rule.generate) return 'generate rules are not supported';
  if (rule.verifyImages) return 'verifyImages rules are not supported';
  if (!rule.validate) return 'the rule has no validate, mutate, generate or verifyImages block';
  return undefined;
}

/** One policy document checked and expanded. */
export function kyvernoPolicyFrom(doc: KyvernoPolicyDoc, file: string): LoadedKyvernoPolicy {
  const name = doc.metadata?.name;
  if (typeof name !== 'string' || name === '') fail(file, `${doc.kind} has no metadata.name`);
  if (typeof doc.spec !== 'object' || doc.spec === null) fail(file, `${doc.kind} ${name} has no spec`);
  const rules = doc.spec.rules ?? [];
  if (!Array.isArray(rules)) fail(file, `${doc.kind} ${name}: spec.rules must be a list`);
  const seen = new Set<string>();
  for (const [i, rule] of rules.entries()) {
    if (typeof rule !== 'object' || rule === null || typeof rule.name !== 'string' || rule.name === '')
      fail(file, `${doc.kind} ${name}: spec.rules[${i}] has no name`);
    if (seen.has(rule.name)) fail(file, `${doc.kind} ${name}: rule name "${rule.name}" is used twice`);
    seen.add(rule.name);
    if (rule.validate) {
      const v = rule.validate;
      const kinds = [
        'pattern',
        'anyPattern',
        'deny',
        'foreach',
        'podSecurity',
        'cel',
        'manifests',
        'assert',
      ].filter((key) => (v as Record<string, unknown>)[key] !== undefined);
      if (kinds.length !== 1)
        fail(
          file,
          `${doc.kind} ${name}: rule ${rule.name}: validate needs exactly one of pattern, anyPattern, deny, foreach, podSecurity, cel${kinds.length ? ` (has ${kinds.join(', ')})` : ''}`,
        );
      if (v.anyPattern !== undefined && !Array.isArray(v.anyPattern))
        fail(file, `${doc.kind} ${name}: rule ${rule.name}: validate.anyPattern must be a list`);
    }
  }
  const annotations = doc.metadata.annotations ?? {};
  const expanded = computeRules(rules, annotations);
  const unsupported: Array<{ rule: string; reason: string }> = [];
  const supported: KyvernoRule[] = [];
  for (const rule of expanded) {
    const reason = unsupportedReason(rule);
    if (reason) unsupported.push({ rule: rule.name, reason });
    else supported.push(rule);
  }
  const key = doc.kind === 'Policy' ? `${doc.metadata.namespace ?? 'default'}/${name}` : name;
  return { doc, file, key, rules: supported, unsupported };
}

/** Every Kyverno policy in a YAML file (other documents are ignored). */
export function readKyvernoPolicies(file: string, text?: string): LoadedKyvernoPolicy[] {
  let source = text;
  if (source === undefined) {
    try {
      source = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ParapetError(
        'PARAPET_POLICY_READ',
        `${file}: cannot read policy file: ${describeError(error)}`,
        { file },
      );
    }
  }
  const out: LoadedKyvernoPolicy[] = [];
  for (const document of parseAllDocuments(source)) {
    if (document.errors.length > 0) fail(file, `invalid YAML: ${document.errors[0]!.message.split('\n')[0]}`);
    const value = document.toJS({ maxAliasCount: 100 }) as unknown;
    if (isKyvernoPolicy(value)) out.push(kyvernoPolicyFrom(value, file));
  }
  return out;
}
