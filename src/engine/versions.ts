import { ParapetError } from '../model/errors.js';
import type { Policy } from '../model/policy.js';
import type { Settings } from '../model/settings.js';
import { pssVersionOf } from '../pss/settings.js';
import { comparePssVersions, parseMinorVersion, type PssVersion } from '../pss/version.js';

/** The version a versioned policy follows in this run (only `pss` exists). */
function runVersion(policy: Policy, settings: Settings): PssVersion | undefined {
  return policy.versioned ? pssVersionOf(settings) : undefined;
}

function minorOf(policy: Policy, text: string, field: string): PssVersion {
  const version = parseMinorVersion(text);
  if (!version)
    throw new ParapetError(
      'PARAPET_POLICY_INVALID',
      `${policy.file}: versioned.${field}: "${text}" is not v1.N`,
      {
        file: policy.file,
      },
    );
  return version;
}

/** False for a versioned policy whose standard does not have it yet at the run's version. */
export function policyInEffect(policy: Policy, settings: Settings): boolean {
  const version = runVersion(policy, settings);
  const since = policy.versioned?.since;
  return !version || since === undefined || comparePssVersions(minorOf(policy, since, 'since'), version) <= 0;
}

/**
 * The parameter defaults of a versioned policy at the run's version: every `versioned.parameters`
 * entry from the oldest up to the run's version, later ones over earlier ones.
 */
export function versionedDefaults(policy: Policy, settings: Settings): Record<string, unknown> {
  const version = runVersion(policy, settings);
  const table = policy.versioned?.parameters;
  if (!version || !table) return {};
  const steps = Object.entries(table)
    .map(([from, values]) => ({ from: minorOf(policy, from, `parameters.${from}`), values }))
    .sort((a, b) => comparePssVersions(a.from, b.from));
  const out: Record<string, unknown> = {};
  for (const step of steps) {
    if (comparePssVersions(step.from, version) > 0) break;
    for (const [name, value] of Object.entries(step.values)) {
      if (!policy.parameters || !(name in policy.parameters))
        throw new ParapetError(
          'PARAPET_POLICY_INVALID',
          `${policy.file}: versioned.parameters.${formatStep(step.from)}.${name}: the policy declares no parameter "${name}"`,
          { file: policy.file },
        );
      out[name] = value;
    }
  }
  return out;
}

const formatStep = (version: PssVersion) => `v${version.major}.${version.minor}`;
