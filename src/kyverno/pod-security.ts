/**
 * `validate.podSecurity` on parapet's built-in Pod Security Standards policies: the level picks
 * the PSS policies (restricted includes baseline), `exclude` drops a control, for the listed
 * images only when images are given.
 */
import path from 'node:path';
import { readdirSync } from 'node:fs';
import type { Policy } from '../model/policy.js';
import type { Resource } from '../model/resource.js';
import { kubernetesResource } from '../inputs/kubernetes.js';
import { builtinPolicyDir } from '../policies/paths.js';
import { loadPolicyFile } from '../policies/load.js';
import type { EvalContext } from '../engine/rules/types.js';
import { defaultSettings, type Settings } from '../model/settings.js';
import { describeError } from '../model/errors.js';
import { policyInEffect } from '../engine/versions.js';
import { withPssVersion } from '../pss/settings.js';
import { formatPssVersion, latestPssVersion, parsePssVersion, type PssVersion } from '../pss/version.js';
import type { PodSecurityCheck } from './validate.js';
import type { Obj } from './types.js';
import { wildcardMatch } from './wildcard.js';

/** Kyverno's PSS control names and the built-in policies that check them. */
const controls: Record<string, string[]> = {
  'Privileged Containers': ['pss-baseline-privileged'],
  Capabilities: ['pss-baseline-capabilities', 'pss-restricted-capabilities'],
  'Host Namespaces': ['pss-baseline-host-namespaces'],
  'HostPath Volumes': ['pss-baseline-host-path-volumes'],
  'Host Ports': ['pss-baseline-host-ports'],
  'Host Probes / Lifecycle Hooks': ['pss-baseline-host-probes'],
  HostProcess: ['pss-baseline-host-process'],
  AppArmor: ['pss-baseline-apparmor'],
  SELinux: ['pss-baseline-selinux'],
  '/proc Mount Type': ['pss-baseline-proc-mount', 'pss-restricted-proc-mount'],
  Seccomp: ['pss-baseline-seccomp', 'pss-restricted-seccomp'],
  Sysctls: ['pss-baseline-sysctls'],
  'Volume Types': ['pss-restricted-volume-types'],
  'Privilege Escalation': ['pss-restricted-privilege-escalation'],
  'Running as Non-root': ['pss-restricted-run-as-non-root'],
  'Running as Non-root user': ['pss-restricted-run-as-user'],
};

function controlOf(policyId: string): string {
  for (const [control, ids] of Object.entries(controls)) if (ids.includes(policyId)) return control;
  return policyId;
}

interface Checker {
  id: string;
  check(resource: Resource): Array<{ path: string; message: string }>;
}

/** Compiles the PSS policies in effect at `settings`' PSS version, their parameters bound for it. */
type Compile = (policies: Policy[], settings: Settings) => Checker[];

/**
 * Build the podSecurity check over the built-in PSS policies, compiled with the engine's compiler.
 * `version` (`latest`, `v1.N`) picks the PSS version, as `--pss-version` does; each version's
 * policies are compiled on first use.
 */
export async function podSecurityCheck(compile: Compile): Promise<PodSecurityCheck> {
  const dir = path.join(builtinPolicyDir, 'kubernetes', 'pss');
  const files = readdirSync(dir)
    .filter((name) => /^pss-.*\.ya?ml$/.test(name))
    .sort();
  const policies = files.map((name) => loadPolicyFile(path.join(dir, name), { builtin: true }));
  const byVersion = new Map<string, { policies: Policy[]; checkers: Checker[] }>();
  const atVersion = (version: PssVersion) => {
    const key = formatPssVersion(version);
    let entry = byVersion.get(key);
    if (!entry) {
      const settings = withPssVersion(defaultSettings(), version);
      const inEffect = policies.filter((policy) => policyInEffect(policy, settings));
      entry = { policies: inEffect, checkers: compile(inEffect, settings) };
      byVersion.set(key, entry);
    }
    return entry;
  };
  atVersion(latestPssVersion);
  return (object, level, version, exclude) => {
    const restricted = level === 'restricted';
    if (level !== 'baseline' && level !== 'restricted' && level !== 'privileged')
      return { error: `podSecurity level "${level}" is not baseline, restricted or privileged` };
    if (level === 'privileged') return { violations: [] };
    let pssVersion: PssVersion;
    try {
      pssVersion = parsePssVersion(version ?? 'latest', 'podSecurity.version');
    } catch (error) {
      return { error: describeError(error) };
    }
    const { policies: inEffect, checkers } = atVersion(pssVersion);
    const chosen = checkers.filter(
      (c) => c.id.startsWith('pss-baseline-') || (restricted && c.id.startsWith('pss-restricted-')),
    );
    const overridden = new Set(
      restricted
        ? inEffect.filter((p) => p.id.startsWith('pss-restricted-')).flatMap((p) => p.overrides ?? [])
        : [],
    );
    const resource = kubernetesResource(object, { file: '<podSecurity>', line: 1 });
    const violations: Array<{ control: string; message: string }> = [];
    for (const checker of chosen) {
      if (overridden.has(checker.id)) continue;
      const control = controlOf(checker.id);
      const exclusions = (exclude ?? []).filter((e) => e.controlName === control);
      for (const found of checker.check(resource)) {
        if (exclusions.some((e) => !e.images?.length || imageAt(object, found.path, e.images))) continue;
        violations.push({ control, message: found.message });
      }
    }
    return { violations };
  };
}

/** Whether the container a violation points into runs one of `images`. */
function imageAt(object: Obj, pointer: string, images: string[]): boolean {
  const match = /\/(containers|initContainers|ephemeralContainers)\/(\d+)/.exec(pointer);
  if (!match) return false;
  let spec: unknown = object.spec;
  if (object.kind !== 'Pod') spec = ((spec as Obj | undefined)?.template as Obj | undefined)?.spec;
  const list = (spec as Obj | undefined)?.[match[1]!];
  const container = Array.isArray(list) ? (list[Number(match[2])] as Obj | undefined) : undefined;
  const image = typeof container?.image === 'string' ? container.image : '';
  return images.some((pattern) => wildcardMatch(pattern, image));
}

/** An evaluation context for checks run outside an engine run. */
export function standaloneContext(): EvalContext {
  return { settings: defaultSettings(), notices: [], resources: [] };
}
