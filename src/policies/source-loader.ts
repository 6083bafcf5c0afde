import type { Policy } from '../model/policy.js';

export interface PolicySourceContext {
  /** True for the built-in library shipped with parapet. */
  builtin: boolean;
  /** Options a source loader understands (for example the Conftest namespace). */
  options: Record<string, unknown>;
}

/**
 * Turns the files of a policy directory that are not native policy YAML (Rego, Wasm, bundles,
 * Gatekeeper templates, Kyverno policies ...) into policies. Loaders run in order before the native
 * loader, which takes the YAML files no loader claimed. Front ends import this interface, and
 * `sources.ts` lists them, so no front end imports its caller back.
 */
export interface PolicySourceLoader {
  name: string;
  load(
    dir: string,
    files: string[],
    ctx: PolicySourceContext,
  ): Promise<{ policies: Policy[]; claimed: string[] }>;
}
