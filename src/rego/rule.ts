import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ParapetError } from '../model/errors.js';
import type { Policy } from '../model/policy.js';
import type { Resource } from '../model/resource.js';
import { compileMatch } from '../engine/match.js';
import type { CompileContext, CompiledRule, EvalContext, Violation } from '../engine/rules/types.js';
import { prepareBundle, prepareSources, type PreparedModule } from './backend.js';
import { parseBundle, type RegoBundle } from './bundle.js';
import type { CompileRequest, RegoSourceFile } from './compiler.js';
import { conftestCollector, conftestOutcome, type ConftestResult } from './conftest.js';
import {
  gatekeeperReview,
  gatekeeperViolations,
  matchConstraint,
  type AdmissionRequestLike,
} from './gatekeeper.js';
import type { Outcome } from './runtime.js';
import { policyFilePath } from '../policies/paths.js';
import { regoSettingsFrom, type RegoSettings } from './settings.js';
import { compiledFolder, type ConftestRuleSpec, type GatekeeperRuleSpec } from './source.js';

interface NativeRuleSpec {
  flavor?: undefined;
  module: string;
  entrypoint: string;
  data?: string;
}

type RegoRuleSpec = ConftestRuleSpec | GatekeeperRuleSpec | NativeRuleSpec;

/**
 * One batch of outcomes per (module, entrypoint, evaluation run): every policy sharing a module
 * (the Conftest rules of a package) reads the same evaluation, and every input of a run goes to
 * the worker in one round trip.
 */
class OutcomeMemo {
  private readonly runs = new WeakMap<EvalContext, Map<string, Map<unknown, Outcome>>>();
  private readonly attributions = new WeakMap<EvalContext, Map<string, Map<Resource, Violation[]>>>();

  /** Plan-level Conftest results, split by the resource they are reported on, once per run. */
  attribution(
    ctx: EvalContext,
    key: string,
    compute: () => Map<Resource, Violation[]>,
  ): Map<Resource, Violation[]> {
    let byKey = this.attributions.get(ctx);
    if (!byKey) {
      byKey = new Map();
      this.attributions.set(ctx, byKey);
    }
    let value = byKey.get(key);
    if (!value) {
      value = compute();
      byKey.set(key, value);
    }
    return value;
  }

  get(ctx: EvalContext, key: string, compute: () => Map<unknown, Outcome>): Map<unknown, Outcome> {
    let byKey = this.runs.get(ctx);
    if (!byKey) {
      byKey = new Map();
      this.runs.set(ctx, byKey);
    }
    let outcomes = byKey.get(key);
    if (!outcomes) {
      outcomes = compute();
      byKey.set(key, outcomes);
    }
    return outcomes;
  }
}

const memo = new OutcomeMemo();

function evaluateMany(
  prepared: PreparedModule,
  entrypoint: string,
  keys: unknown[],
  inputs: unknown[],
): Map<unknown, Outcome> {
  const outcomes = prepared.runtime.evaluate(prepared.handle, entrypoint, inputs);
  return new Map(keys.map((key, i) => [key, outcomes[i]!]));
}

/** The value of a successful outcome (the entrypoint's result), or a thrown error naming the file. */
function resultOf(outcome: Outcome | undefined, file: string): unknown {
  if (!outcome) throw new Error(`${file}: no evaluation result`);
  // Aborts carry the Rego location as compiled (a scratch directory of `opa build`); keep the part inside the sources.
  if (!outcome.ok)
    throw new Error(`${file}: ${outcome.error.replace(/\S*parapet-rego-[^/\s]+\/src\//g, '')}`);
  // opa-wasm answers [] for an undefined entrypoint and [{ result }] otherwise.
  return outcome.result.length === 0 ? undefined : (outcome.result[0] as { result?: unknown }).result;
}

function listRegoFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  const out: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSorted(dir)) {
      const full = join(dir, entry.name);
      if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== compiledFolder) visit(full);
      else if (entry.isFile() && entry.name.endsWith('.rego') && !entry.name.endsWith('_test.rego'))
        out.push(full);
    }
  };
  visit(path);
  return out;
}

function readdirSorted(dir: string) {
  return readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
}

function readSource(file: string, root: string): RegoSourceFile {
  return { path: relative(root, file), displayPath: file, text: readFileSync(file, 'utf8') };
}

function loadModuleFile(
  settings: RegoSettings,
  file: string,
  entrypoint: string,
  data: Record<string, unknown> | undefined,
  name: string,
): PreparedModule {
  if (!existsSync(file)) throw new ParapetError('PARAPET_REGO', `${file}: Rego module not found`, { file });
  if (file.endsWith('.tar.gz')) {
    const prepared = prepareBundle(settings, parseBundle(file, readFileSync(file)));
    if (!prepared.entrypoints.includes(entrypoint)) {
      throw new ParapetError(
        'PARAPET_REGO',
        `${file}: bundle has no entrypoint ${entrypoint} (it has ${prepared.entrypoints.join(', ') || 'none'})`,
        { file },
      );
    }
    return prepared;
  }
  if (file.endsWith('.wasm')) {
    const bundle: RegoBundle = {
      file,
      wasm: new Uint8Array(readFileSync(file)),
      data: data ?? {},
      entrypoints: [],
      sources: {},
    };
    return prepareBundle(settings, bundle);
  }
  return prepareSources(settings, nativeRequest(file, entrypoint, data, name, settings));
}

/** What compiling a native policy's Rego module (a file or a directory of them) means. */
export function nativeRequest(
  file: string,
  entrypoint: string,
  data: Record<string, unknown> | undefined,
  name: string,
  settings: RegoSettings,
): CompileRequest {
  const root = statSync(file).isDirectory() ? file : dirname(file);
  const sources = listRegoFiles(file).map((source) => readSource(source, root));
  if (sources.length === 0) throw new ParapetError('PARAPET_REGO', `${file}: no .rego files`, { file });
  return {
    label: file,
    name,
    sources,
    entrypoints: [entrypoint],
    version: settings.version,
    data,
    prebuiltDirs: [join(root, compiledFolder)],
  };
}

/** A native rule's `data` document (JSON object), if it names one. */
export function readData(file: string | undefined): Record<string, unknown> | undefined {
  if (!file) return undefined;
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new Error('the data document must be a JSON object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new ParapetError('PARAPET_REGO', `${file}: cannot use as Rego data: ${(error as Error).message}`, {
      file,
    });
  }
}

/** `resource` as native Rego rules see it: `input.resource` and `input.params`. */
function nativeInput(resource: Resource, params: Record<string, unknown>): unknown {
  return {
    resource: {
      source: resource.source,
      kind: resource.kind,
      id: resource.id,
      name: resource.name,
      namespace: resource.namespace,
      labels: resource.labels,
      body: resource.body,
      facts: resource.facts,
    },
    params,
  };
}

/** Violations from a native entrypoint: `true`, or a set/array of messages or `{msg, path, details}` objects. */
function nativeViolations(value: unknown, file: string): Violation[] {
  if (value === undefined || value === false) return [];
  if (value === true) return [{ path: '' }];
  if (!Array.isArray(value))
    throw new Error(
      `${file}: the entrypoint must return a set of messages or objects with msg, or a boolean`,
    );
  return value.map((item): Violation => {
    if (typeof item === 'string') return { path: '', message: item };
    if (item && typeof item === 'object' && !Array.isArray(item)) {
      const { msg, path, details, ...rest } = item as Record<string, unknown>;
      return {
        path: typeof path === 'string' ? path : '',
        message: typeof msg === 'string' ? msg : undefined,
        details:
          details && typeof details === 'object'
            ? (details as Record<string, unknown>)
            : Object.keys(rest).length > 0
              ? rest
              : undefined,
      };
    }
    throw new Error(
      `${file}: the entrypoint returned ${JSON.stringify(item)}, not a message or an object with msg`,
    );
  });
}

function compileNative(policy: Policy, spec: NativeRuleSpec, ctx: CompileContext): CompiledRule {
  const settings = regoSettingsFrom(ctx.settings.domains);
  const file = policyFilePath(policy.file, spec.module, 'module');
  const prepared = loadModuleFile(
    settings,
    file,
    spec.entrypoint,
    readData(spec.data === undefined ? undefined : policyFilePath(policy.file, spec.data, 'data')),
    policy.id,
  );
  const params = ctx.params;
  const { kind: matchesKind, resource: matchesResource } = compileMatch(policy);
  return {
    scope: 'resource',
    // One batch over the run's resources: it reads the whole run.
    readsRun: true,
    evaluate(resource, evalCtx) {
      const key = `native\0${prepared.handle.id}\0${spec.entrypoint}\0${policy.id}`;
      const outcomes = memo.get(evalCtx, key, () => {
        // Every resource the engine will ask about goes to the module in one batch (one worker round trip).
        const batch = evalCtx.resources.filter(
          (candidate) =>
            matchesKind(candidate.source, candidate.kind) && (!matchesResource || matchesResource(candidate)),
        );
        return evaluateMany(
          prepared,
          spec.entrypoint,
          batch,
          batch.map((item) => nativeInput(item, params)),
        );
      });
      const outcome =
        outcomes.get(resource) ??
        prepared.runtime.evaluate(prepared.handle, spec.entrypoint, [nativeInput(resource, params)])[0];
      return nativeViolations(resultOf(outcome, file), file);
    },
  };
}

/** What compiling a Conftest directory's namespace means: its sources plus the generated collector. */
export function conftestRequest(spec: ConftestRuleSpec, settings: RegoSettings): CompileRequest {
  const sources = spec.files.map((file) => readSource(file, spec.root));
  sources.push(conftestCollector(spec.namespace, spec.rules));
  return {
    label: spec.root,
    name: `conftest-${spec.namespace}`,
    sources,
    entrypoints: [spec.entrypoint],
    version: settings.version,
    prebuiltDirs: [join(spec.root, compiledFolder)],
  };
}

/** What compiling a ConstraintTemplate means: the template's Rego and its libs. */
export function gatekeeperRequest(spec: GatekeeperRuleSpec): CompileRequest {
  const { template } = spec;
  return {
    label: template.file,
    name: template.name,
    sources: template.sources,
    entrypoints: [spec.entrypoint],
    version: template.version,
    prebuiltDirs: [join(spec.root, compiledFolder), join(dirname(template.file), compiledFolder)],
  };
}

function compileConftest(spec: ConftestRuleSpec, ctx: CompileContext): CompiledRule {
  const settings = regoSettingsFrom(ctx.settings.domains);
  const prepared = spec.bundle
    ? loadModuleFile(settings, spec.bundle, spec.entrypoint, undefined, `conftest-${spec.namespace}`)
    : prepareSources(settings, conftestRequest(spec, settings));
  const collect = (outcome: Outcome | undefined): Record<string, unknown> => {
    if (!spec.bundle) return (resultOf(outcome, spec.root) as Record<string, unknown> | undefined) ?? {};
    return { [spec.rule]: resultOf(outcome, spec.bundle) };
  };
  return {
    scope: 'resource',
    // Batches per file of the run's resources (a plan is read again whole): it reads the whole run.
    readsRun: true,
    evaluate(resource, evalCtx) {
      const outcomes = memo.get(evalCtx, `conftest\0${prepared.handle.id}\0${spec.entrypoint}`, () =>
        conftestBatch(prepared, spec, evalCtx.resources),
      );
      if (resource.source === 'kubernetes')
        return conftestViolations(conftestOutcome(collect(outcomes.get(resource))), spec.rule);
      if (resource.source !== 'terraform') return [];
      // A plan is one Conftest input; its results go to the resource they name, else to the plan's first resource.
      const file = resource.location.file;
      const byResource = memo.attribution(evalCtx, `${prepared.handle.id}\0${spec.rule}\0${file}`, () => {
        const plan = planResources(evalCtx.resources, file);
        const attributed = new Map<Resource, Violation[]>();
        for (const result of conftestOutcome(collect(outcomes.get(file))).results) {
          if (result.rule !== spec.rule) continue;
          const target = attribute(result, plan);
          if (target) attributed.set(target, [...(attributed.get(target) ?? []), toViolation(result)]);
        }
        return attributed;
      });
      return byResource.get(resource) ?? [];
    },
  };
}

function conftestBatch(
  prepared: PreparedModule,
  spec: ConftestRuleSpec,
  resources: readonly Resource[],
): Map<unknown, Outcome> {
  const keys: unknown[] = [];
  const inputs: unknown[] = [];
  const plans = new Set<string>();
  for (const resource of resources) {
    if (resource.source === 'kubernetes') {
      keys.push(resource);
      inputs.push(resource.body);
    } else if (resource.source === 'terraform' && !plans.has(resource.location.file)) {
      plans.add(resource.location.file);
      const plan = readPlan(resource.location.file);
      if (plan === undefined) continue;
      keys.push(resource.location.file);
      inputs.push(plan);
    }
  }
  const outcomes = evaluateMany(prepared, spec.entrypoint, keys, inputs);
  for (const file of plans) {
    if (!outcomes.has(file)) {
      outcomes.set(file, {
        ok: false,
        reason: 'load',
        error: `Conftest policies read the whole plan document, which cannot be read again from ${file === '-' ? 'standard input' : file}; pass the plan as a file`,
      });
    }
  }
  return outcomes;
}

/** Conftest gives the plan as `terraform show -json` printed it; parapet's resources are per change, so the file is read again. */
function readPlan(file: string): unknown {
  if (file === '-') return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function planResources(resources: readonly Resource[], file: string): Resource[] {
  return resources
    .filter((resource) => resource.source === 'terraform' && resource.location.file === file)
    .sort((a, b) => a.location.line - b.location.line || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The resource a plan-level result is about: its `resource`/`address` field, else the longest address its message names. */
function attribute(result: ConftestResult, plan: Resource[]): Resource | undefined {
  const named = result.details?.resource ?? result.details?.address;
  if (typeof named === 'string') {
    const hit = plan.find((resource) => resource.id === named);
    if (hit) return hit;
  }
  let best: Resource | undefined;
  for (const resource of plan) {
    const at = result.message.indexOf(resource.id);
    if (at < 0) continue;
    const next = result.message.charAt(at + resource.id.length);
    if (
      /[\w[\].-]/.test(next) &&
      !(next === '.' && /\.(\s|$)/.test(result.message.slice(at + resource.id.length)))
    )
      continue;
    if (!best || resource.id.length > best.id.length) best = resource;
  }
  return best ?? plan[0];
}

function toViolation(result: ConftestResult): Violation {
  return { path: '', message: result.message, details: { rule: result.rule, ...result.details } };
}

function conftestViolations(outcome: ReturnType<typeof conftestOutcome>, rule: string): Violation[] {
  return outcome.results.filter((result) => result.rule === rule).map(toViolation);
}

const namespaceLabels = new WeakMap<EvalContext, Map<string, Record<string, string>>>();

/** Labels of the Namespace objects among a run's inputs (built once per run, shared by every constraint). */
function namespaceLabelLookup(ctx: EvalContext): (name: string) => Record<string, string> | undefined {
  let labels = namespaceLabels.get(ctx);
  if (!labels) {
    labels = new Map();
    for (const resource of ctx.resources)
      if (resource.source === 'kubernetes' && resource.kind === 'Namespace')
        labels.set(resource.name, resource.labels);
    namespaceLabels.set(ctx, labels);
  }
  const found = labels;
  return (name) => found.get(name) ?? ctx.namespaceLabels?.(name);
}

function compileGatekeeper(spec: GatekeeperRuleSpec, ctx: CompileContext): CompiledRule {
  const settings = regoSettingsFrom(ctx.settings.domains);
  const { template, constraint } = spec;
  const prepared = prepareSources(settings, gatekeeperRequest(spec));
  const key = `gatekeeper\0${prepared.handle.id}\0${constraint.kind}/${constraint.name}`;
  const usesInventory = template.sources.some((source) => source.text.includes('data.inventory'));
  return {
    scope: 'resource',
    // Namespace labels (and data.inventory) come from the run's other resources.
    readsRun: true,
    readsNamespaceLabels: Boolean(constraint.match.namespaceSelector),
    evaluate(resource, evalCtx) {
      const lookup = namespaceLabelLookup(evalCtx);
      const verdict = matchConstraint(constraint.match, resource, lookup);
      if (verdict.applies === false) return [];
      if (verdict.applies === 'unknown')
        return [
          {
            path: '',
            status: 'unknown',
            message: `${constraint.kind} ${constraint.name}: ${verdict.reason}`,
          },
        ];
      const outcomes = memo.get(evalCtx, key, () => {
        // Referential templates read data.inventory: the Kubernetes objects of this run, as Gatekeeper's sync cache holds them.
        if (usesInventory) prepared.runtime.setData(prepared.handle, { inventory: inventoryOf(evalCtx) });
        const batch = evalCtx.resources.filter(
          (candidate) =>
            candidate.source === 'kubernetes' &&
            matchConstraint(constraint.match, candidate, lookup).applies === true,
        );
        return evaluateMany(
          prepared,
          spec.entrypoint,
          batch,
          batch.map((item) => gatekeeperInput(item, constraint.parameters)),
        );
      });
      const outcome =
        outcomes.get(resource) ??
        prepared.runtime.evaluate(prepared.handle, spec.entrypoint, [
          gatekeeperInput(resource, constraint.parameters),
        ])[0];
      const { violations, malformed } = gatekeeperViolations(resultOf(outcome, template.file));
      if (malformed > 0 && violations.length === 0)
        throw new Error(`${template.file}: violation results must be objects with a string msg`);
      return violations.map((violation) => ({
        path: '',
        message: violation.message,
        details: violation.details,
      }));
    },
  };
}

const inventories = new WeakMap<EvalContext, Record<string, unknown>>();

/** `data.inventory` as Gatekeeper builds it: `namespace[ns][apiVersion][kind][name]` and `cluster[apiVersion][kind][name]`. */
function inventoryOf(ctx: EvalContext): Record<string, unknown> {
  let inventory = inventories.get(ctx);
  if (inventory) return inventory;
  const namespaced: Record<string, Record<string, Record<string, Record<string, unknown>>>> = {};
  const cluster: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const resource of ctx.resources) {
    if (resource.source !== 'kubernetes' || typeof resource.body.apiVersion !== 'string') continue;
    const apiVersion = resource.body.apiVersion;
    const byVersion =
      resource.namespace === undefined
        ? cluster
        : ((namespaced[resource.namespace] ??= {}) as Record<
            string,
            Record<string, Record<string, unknown>>
          >);
    ((byVersion[apiVersion] ??= {})[resource.kind] ??= {})[resource.name] = resource.body;
  }
  inventory = { namespace: namespaced, cluster };
  inventories.set(ctx, inventory);
  return inventory;
}

function gatekeeperInput(resource: Resource, parameters: Record<string, unknown>): unknown {
  const admission = resource.facts.admission as AdmissionRequestLike | undefined;
  return { review: gatekeeperReview(resource, admission), parameters };
}

/** Compile a `rego` rule: a Conftest rule, a Gatekeeper constraint, or a native policy's Rego entrypoint. */
export function compileRegoRule(
  policy: Policy,
  rule: Record<string, unknown>,
  ctx: CompileContext,
): CompiledRule {
  const spec = rule as unknown as RegoRuleSpec;
  if (spec.flavor === 'conftest') return compileConftest(spec, ctx);
  if (spec.flavor === 'gatekeeper') return compileGatekeeper(spec, ctx);
  if (typeof spec.module !== 'string' || typeof spec.entrypoint !== 'string') {
    throw new ParapetError(
      'PARAPET_POLICY_INVALID',
      `${policy.file}: rule.rego needs module and entrypoint`,
      { file: policy.file },
    );
  }
  const entrypoint = normalizeEntrypoint(spec.entrypoint);
  return compileNative(policy, { ...spec, entrypoint }, ctx);
}

/** `data.pkg.rule` and `pkg.rule` name the same Wasm entrypoint as `pkg/rule`. */
export function normalizeEntrypoint(entrypoint: string): string {
  return entrypoint.replace(/^data\./, '').replace(/\./g, '/');
}
