import { createEngine } from '../../src/engine/engine.js';
import { loadInputs } from '../../src/inputs/load.js';
import { defaultSettings } from '../../src/model/settings.js';
import type { Result } from '../../src/model/result.js';
import type { Resource } from '../../src/model/resource.js';
import { loadPolicies } from '../../src/policies/load.js';
import { defaultRegoSettings, type RegoSettings } from '../../src/rego/settings.js';

export interface RegoRun {
  policies?: string[];
  inputs?: string[];
  resources?: Resource[];
  rego?: Partial<RegoSettings>;
  namespaces?: string[];
  /** Policy id globs to run (`--select`). */
  select?: string[];
}

/** Load policies from fixture directories and evaluate inputs, as `parapet check --no-builtin --policies ...` does. */
export async function evaluateRego(run: RegoRun): Promise<Result> {
  const policies = await loadPolicies({
    builtin: false,
    paths: run.policies ?? [],
    sourceOptions: { namespaces: run.namespaces },
  });
  const settings = defaultSettings();
  settings.domains.rego = { ...defaultRegoSettings(), ...run.rego };
  if (run.select) settings.select = run.select;
  const engine = await createEngine(policies, settings);
  const resources = run.resources ?? (await loadInputs(run.inputs ?? [])).resources;
  return engine.evaluate(resources);
}

/** One line per finding: status, policy, resource and message, in the report's order. */
export function findingLines(result: Result): string[] {
  return result.findings.map(
    (finding) => `${finding.status} ${finding.policyId} ${finding.resource.id}: ${finding.message}`,
  );
}
