import type { Policy } from '../model/policy.js';
import { regoPolicySource } from '../rego/source.js';

export interface PolicySourceContext {
  /** True for the built-in library shipped with parapet. */
  builtin: boolean;
  /** Options a source loader understands (for example the Conftest namespace). */
  options: Record<string, unknown>;
}

/**
 * Turns the files of a policy directory that are not native policy YAML (Rego, Wasm, bundles,
 * Gatekeeper templates ...) into policies. Loaders run in order before the native loader, which
 * takes the YAML files no loader claimed.
 */
export interface PolicySourceLoader {
  name: string;
  load(
    dir: string,
    files: string[],
    ctx: PolicySourceContext,
  ): Promise<{ policies: Policy[]; claimed: string[] }>;
}

/** Registered source loaders, in the order they run. */
export const policySourceLoaders: PolicySourceLoader[] = [regoPolicySource];
