import { closestNames } from '../engine/selection.js';
import { parameterProblem } from '../engine/parameter-check.js';
import { ParapetError } from '../model/errors.js';
import type { Policy } from '../model/policy.js';
import { formatPath } from '../model/schema-errors.js';
import type { LoadedConfig } from './load.js';

/**
 * Throws on the first `parameters.<policy id>.<name>` in the configuration that names no loaded
 * policy, a parameter the policy does not declare, or a value its declared schema refuses. The
 * error names the configuration file, line and column: the user wrote the value, not the policy.
 */
export function assertConfiguredParameters(policies: Policy[], config: LoadedConfig): void {
  const byId = new Map(policies.map((policy) => [policy.id, policy]));
  for (const [policyId, values] of Object.entries(config.settings.parameters)) {
    const policy = byId.get(policyId);
    if (!policy) {
      const closest = closestNames(policyId, byId.keys());
      const { file, line, col } = config.locate(['parameters', policyId], { key: true });
      throw new ParapetError(
        'PARAPET_CONFIG_INVALID',
        `${file}:${line}:${col}: ${formatPath(['parameters', policyId])}: no loaded policy has this id${closest.length ? ` (did you mean ${closest.join(', ')}?)` : ''}; run "parapet policies" for the list`,
        { file, line },
      );
    }
    const problem = parameterProblem(policy, values);
    if (!problem) continue;
    const segments = ['parameters', policyId, ...problem.segments];
    const { file, line, col } = config.locate(segments, { key: problem.atKey });
    throw new ParapetError(
      'PARAPET_CONFIG_INVALID',
      `${file}:${line}:${col}: ${formatPath(segments)}: ${problem.message}`,
      { file, line },
    );
  }
}
