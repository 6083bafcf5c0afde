import { policyFilePath } from '../policies/paths.js';
import type { Policy } from '../model/policy.js';
import { compileRego, writePrebuilt, type CompileRequest } from './compiler.js';
import { conftestRequest, gatekeeperRequest, nativeRequest, normalizeEntrypoint, readData } from './rule.js';
import type { RegoSettings } from './settings.js';
import type { ConftestRuleSpec, GatekeeperRuleSpec } from './source.js';

export interface PrebuiltBundle {
  /** The directory, template or module that was compiled. */
  source: string;
  /** The bundle written (relative to the working directory). */
  file: string;
  /** `opa` when freshly compiled, `prebuilt`/`cache` when an identical compilation existed. */
  origin: string;
}

/** The compilations a set of policies needs, one per distinct source (Conftest rules of a package share one). */
export function compileRequests(policies: Policy[], settings: RegoSettings): CompileRequest[] {
  const requests = new Map<string, CompileRequest>();
  for (const policy of policies) {
    const spec = (policy.rule as { rego?: Record<string, unknown> }).rego;
    if (!spec) continue;
    let request: CompileRequest | undefined;
    if (spec.flavor === 'conftest') {
      if (!(spec as unknown as ConftestRuleSpec).bundle)
        request = conftestRequest(spec as unknown as ConftestRuleSpec, settings);
    } else if (spec.flavor === 'gatekeeper') {
      request = gatekeeperRequest(spec as unknown as GatekeeperRuleSpec);
    } else if (
      typeof spec.module === 'string' &&
      typeof spec.entrypoint === 'string' &&
      !/\.(wasm|tar\.gz)$/.test(spec.module)
    ) {
      const data = readData(
        typeof spec.data === 'string' ? policyFilePath(policy.file, spec.data, 'data') : undefined,
      );
      request = nativeRequest(
        policyFilePath(policy.file, spec.module, 'module'),
        normalizeEntrypoint(spec.entrypoint),
        data,
        policy.id,
        settings,
      );
    }
    if (request) requests.set(`${request.label}\0${request.entrypoints.join(',')}`, request);
  }
  return [...requests.values()];
}

/**
 * Compile every Rego source the policies use and commit the bundles beside them (`compiled/`), so
 * that machines without `opa` (the webhook image, CI without Go) load them unchanged.
 */
export function buildPrebuiltBundles(policies: Policy[], settings: RegoSettings): PrebuiltBundle[] {
  const written: PrebuiltBundle[] = [];
  for (const request of compileRequests(policies, settings)) {
    const compiled = compileRego(request, {
      cacheDir: settings.cacheDir,
      opaPath: settings.opa,
      buildTimeoutMs: settings.buildTimeoutMs,
    });
    const file = writePrebuilt(request.prebuiltDirs[0]!, compiled, request.name);
    written.push({ source: request.label, file, origin: compiled.origin });
  }
  return written;
}
