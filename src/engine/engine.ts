import { Minimatch } from 'minimatch';
import { describeError, isParapetError, ParapetError } from '../model/errors.js';
import type { Finding, FindingStatus } from '../model/finding.js';
import { policyInfo, type Mode, type Policy, type PolicyInfo, type Severity } from '../model/policy.js';
import { compareFindings, compareResources, summarize, type Notice, type Result } from '../model/result.js';
import { resourceRef, type Resource, type ResourceRef } from '../model/resource.js';
import type { Settings } from '../model/settings.js';
import { defaultSettings } from '../model/settings.js';
import { applyApprovals } from './approvals.js';
import { EvaluatedMap } from './evaluated.js';
import { factProviders, type FactRun } from './facts/index.js';
import { KindIndex } from './kind-index.js';
import { compileMatch, type KindMatcher, type ResourceMatcher } from './match.js';
import { resolveParameters, substituteParameters } from './params.js';
import { policyInEffect, versionedDefaults } from './versions.js';
import {
  isPrecompiled,
  loadPrecompiledValidators,
  precompiledCompilers,
  type RuleSchemaCompilers,
} from './rule-schemas.js';
import {
  ruleTypes,
  type CompileContext,
  type CompiledRule,
  type EvalContext,
  type Violation,
} from './rules/index.js';
import { lastMatching, selectPolicies } from './selection.js';
import { compileTemplate, type MessageTemplate } from './template.js';
import { applyWaivers, WaiverAnnotations } from './waivers.js';

/** A policy ready to run: rule compiled, parameters bound, severity and mode resolved. */
export interface CompiledPolicy {
  policy: Policy;
  info: PolicyInfo;
  severity: Severity;
  mode: Mode;
  params: Record<string, unknown>;
  matchesKind: KindMatcher;
  matchesResource: ResourceMatcher;
  rule: CompiledRule;
  message: MessageTemplate;
}

export interface EvaluateOptions {
  /** The clock waivers and certificate validity are judged against. Default: now. */
  now?: Date;
  /** Notices from loading the inputs, carried into the result. */
  notices?: Notice[];
  /** Skip fact providers (for callers that ran them already). */
  skipFacts?: boolean;
  /** Called now and then with resources evaluated so far (the CLI's progress bar). */
  onProgress?: (done: number, total: number) => void;
  /** Labels of Namespaces outside the input (the cluster's, at admission). */
  namespaceLabels?: (name: string) => Record<string, string> | undefined;
}

export interface Engine {
  readonly settings: Settings;
  /** The selected, compiled policies in id order. */
  readonly policies: readonly CompiledPolicy[];
  evaluate(resources: Resource[], options?: EvaluateOptions): Promise<Result>;
  /**
   * A run fed in parts (one input file's resources at a time, say), with the same result as one
   * `evaluate` of all of them. Resources that no policy or fact provider needs beside others are
   * checked as they arrive and not kept, so a large run holds only its findings.
   */
  session(options?: EvaluateOptions): EvaluationSession;
}

export interface EvaluationSession {
  /**
   * Add resources to the run, and notices about them (from loading their file) for the result.
   * The array is not kept; the resources may be, until `finish`. Await each call before the next.
   */
  add(resources: readonly Resource[], notices?: readonly Notice[]): Promise<void>;
  /** Check what was held back, then approvals, waivers, order and summary. Call once, last. */
  finish(): Promise<Result>;
}

/**
 * Resources are taken in chunks of this many: fact providers see a chunk at a time (its registry
 * lookups run concurrently, 8 at a time by default), and a chunk is checked and dropped while it is
 * still in the young generation, so a collection during the run copies little of it. In-process
 * A/Bs on the images bench (test/bench/images-ab.mjs): 250 took 0.91-0.98x the time of 1,000, and
 * 0.94-0.97x that of 500; 100 took 1.03x (its per-chunk work shows); 4,000 took 1.05x.
 */
const CHUNK = 250;

const ruleTypeByName = new Map(ruleTypes.map((type) => [type.name, type]));

function statusFor(mode: Mode, violation: Violation): FindingStatus {
  if (violation.status === 'unknown') return 'unknown';
  return mode === 'enforce' ? 'fail' : mode;
}

/**
 * A policy whose site-specific parameters are not configured: no findings, and one notice per run
 * that meets a resource it would check.
 */
function inactiveRule(policy: Policy, unset: string[]): CompiledRule {
  const noticed = new WeakSet<object>();
  const settingsNeeded = unset.map((name) => `parameters.${policy.id}.${name}`).join(', ');
  return {
    scope: 'resource',
    evaluate(_resource, ctx) {
      if (!noticed.has(ctx.notices)) {
        noticed.add(ctx.notices);
        ctx.notices.push({
          level: 'info',
          code: 'policy-inactive',
          message: `${policy.id}: inactive until the configuration sets ${settingsNeeded} (parapet.yaml)`,
        });
      }
      return [];
    },
  };
}

async function compilePolicy(
  policy: Policy,
  settings: Settings,
  ctx: Omit<CompileContext, 'params'>,
): Promise<CompiledPolicy> {
  const params = resolveParameters(
    policy,
    settings.parameters[policy.id],
    versionedDefaults(policy, settings),
  );
  const [ruleName, ruleSpec] = Object.entries(policy.rule)[0] ?? [];
  const type = ruleName === undefined ? undefined : ruleTypeByName.get(ruleName);
  if (!type || ruleSpec === undefined) {
    throw new ParapetError(
      'PARAPET_POLICY_COMPILE',
      `${policy.file}: rule: unknown rule type "${ruleName ?? ''}" (known: ${[...ruleTypeByName.keys()].join(', ')})`,
      {
        file: policy.file,
      },
    );
  }
  const unset = (policy.requiresParameters ?? []).filter(
    (name) => settings.parameters[policy.id]?.[name] === undefined,
  );
  const rule = unset.length
    ? inactiveRule(policy, unset)
    : await type.compile(policy, substituteParameters(ruleSpec, params, policy) as Record<string, unknown>, {
        ...ctx,
        params,
      });
  const { kind, resource } = compileMatch(policy);
  return {
    policy,
    info: policyInfo(policy),
    severity: lastMatching(settings.severity, policy.id)?.severity ?? policy.severity,
    mode: lastMatching(settings.modes, policy.id)?.mode ?? policy.defaultMode ?? 'enforce',
    params,
    matchesKind: kind,
    matchesResource: resource,
    rule,
    message: compileTemplate(policy.message),
  };
}

/**
 * The policies a run with these settings uses, in id order: the selected ones that exist at the
 * run's PSS version, less those a chosen policy overrides.
 */
export function runPolicies(policies: Policy[], settings: Settings): Policy[] {
  // A versioned policy the run's version does not have yet is not chosen, so it overrides nothing.
  const chosen = selectPolicies(policies, settings.select, settings.skip, settings.enable).filter((policy) =>
    policyInEffect(policy, settings),
  );
  const overridden = new Set(chosen.flatMap((policy) => policy.overrides ?? []));
  return chosen
    .filter((policy) => !overridden.has(policy.id))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Compile the selected policies once; the engine then evaluates any number of resource sets.
 * A policy whose rule does not compile is an error naming its file.
 */
export async function createEngine(
  policies: Policy[],
  settings: Settings = defaultSettings(),
  options: { schemaCompilers?: SchemaCompilersOf } = {},
): Promise<Engine> {
  const selected = runPolicies(policies, settings);
  const compilersOf = options.schemaCompilers ?? (await schemaCompilersFor(selected, settings));
  const compiled: CompiledPolicy[] = [];
  for (const policy of selected) {
    try {
      compiled.push(await compilePolicy(policy, settings, { settings, ...compilersOf(policy) }));
    } catch (error) {
      if (isParapetError(error)) throw error;
      throw new ParapetError('PARAPET_POLICY_COMPILE', `${policy.file}: ${describeError(error)}`, {
        file: policy.file,
        cause: error,
      });
    }
  }
  return new PolicyEngine(settings, compiled);
}

/** The schema compilers of each policy of a run. */
export type SchemaCompilersOf = (policy: Policy) => RuleSchemaCompilers;

/**
 * Built-in policies read from the precompiled library run on the validators written at build time;
 * ajv (a sixth of a second to load, more to compile) is loaded only for the others: user policies,
 * and built-in ones whose parameters the configuration sets.
 */
async function schemaCompilersFor(selected: Policy[], settings: Settings): Promise<SchemaCompilersOf> {
  const configured = (policy: Policy) => settings.parameters[policy.id] !== undefined;
  const precompiled = selected.some(isPrecompiled) ? loadPrecompiledValidators() : undefined;
  let ajv: RuleSchemaCompilers | undefined;
  if (!precompiled || selected.some((policy) => !isPrecompiled(policy) || configured(policy))) {
    const { createRuleAjv } = await import('./ajv.js');
    ajv = { ajv: createRuleAjv(), ajvAllErrors: createRuleAjv({ allErrors: true }) };
  }
  return (policy) =>
    precompiled && isPrecompiled(policy)
      ? precompiledCompilers(precompiled, policy.id, ajv, !configured(policy))
      : ajv!;
}

const MAX_KIND_CACHE = 4096;

/**
 * One reference per resource and evaluation, shared by its findings and the result's resource list
 * (references are never mutated once made). Kept in a table by input position rather than on the
 * resource: a property added to a finished resource object costs it a second, out-of-object store.
 */
class RefTable {
  private readonly refs: Array<ResourceRef | undefined>;
  /**
   * References of the resources set rules name, by identity. Their findings get a reference equal
   * to, not the same as, the list's: mapping every resource to its position would cost a pass over
   * all of them (15 ms at 100,000) for the few that set rules report.
   */
  private readonly named = new Map<Resource, ResourceRef>();

  constructor(private readonly resources: readonly Resource[]) {
    this.refs = new Array<ResourceRef | undefined>(resources.length);
  }

  /** The reference of the resource at input position `r`. */
  at(r: number): ResourceRef {
    return (this.refs[r] ??= resourceRef(this.resources[r]!));
  }

  /** The reference of a resource given by identity (set rules). */
  of(resource: Resource): ResourceRef {
    let ref = this.named.get(resource);
    if (!ref) this.named.set(resource, (ref = resourceRef(resource)));
    return ref;
  }
}

interface KindEntry {
  list: CompiledPolicy[];
  /** Shared (never mutated) id list, when every policy in `list` applies to every resource of the kind. */
  ids: string[] | undefined;
  /**
   * Otherwise, for lists of up to 30 policies: the shared id list of each subset that applied, by
   * bit mask (resources of a kind fall into a few subsets; one list each instead of one per resource).
   */
  subsets: Map<number, string[]> | undefined;
}

/** The ids of the policies of `entry` whose bits are set in `mask`, shared per mask. */
function subsetIds(entry: KindEntry, mask: number): string[] {
  let ids = entry.subsets!.get(mask);
  if (!ids) {
    ids = [];
    for (let p = 0; p < entry.list.length; p += 1)
      if ((mask & (1 << p)) !== 0) ids.push(entry.list[p]!.policy.id);
    entry.subsets!.set(mask, ids);
  }
  return ids;
}

class PolicyEngine implements Engine {
  private readonly byKind = new Map<string, KindEntry>();
  private lastKind: { source: string; kind: string; entry: KindEntry } | undefined;
  private readonly resourcePolicies: CompiledPolicy[];
  private readonly setPolicies: CompiledPolicy[];
  readonly infos: PolicyInfo[];
  /** The selected policies as written, for fact providers (made once, not per evaluation). */
  private readonly sources: Policy[];
  private readonly excludeNamespaces: Minimatch[];
  private readonly excludeFiles: Minimatch[];
  private readonly excludeResources: Minimatch[];
  /** A resource policy reads the whole run: nothing can be checked before the run is complete. */
  private readonly readsRun: boolean;

  constructor(
    readonly settings: Settings,
    readonly policies: readonly CompiledPolicy[],
  ) {
    this.resourcePolicies = policies.filter((p) => p.rule.scope === 'resource');
    this.setPolicies = policies.filter((p) => p.rule.scope === 'set');
    this.readsRun = this.resourcePolicies.some((p) => p.rule.readsRun);
    this.infos = policies.map((p) => ({ ...p.info, severity: p.severity }));
    this.sources = policies.map((p) => p.policy);
    const globs = (patterns: string[]) => patterns.map((pattern) => new Minimatch(pattern, { dot: true }));
    this.excludeNamespaces = globs(settings.exclude.namespaces);
    this.excludeFiles = globs(settings.exclude.files);
    this.excludeResources = globs(settings.exclude.resources);
  }

  /** The policies whose source and kind match, and their ids when no per-resource test can drop one. */
  private candidates(resource: Resource): KindEntry {
    // Inputs come in runs of one kind: answer those without building a key.
    const last = this.lastKind;
    if (last && last.source === resource.source && last.kind === resource.kind) return last.entry;
    const key = `${resource.source}\0${resource.kind}`;
    let entry = this.byKind.get(key);
    if (!entry) {
      const list = this.resourcePolicies.filter((p) => p.matchesKind(resource.source, resource.kind));
      const ids = list.some((p) => p.matchesResource) ? undefined : list.map((p) => p.policy.id);
      entry = { list, ids, subsets: !ids && list.length <= 30 ? new Map() : undefined };
      if (this.byKind.size >= MAX_KIND_CACHE) this.byKind.clear();
      this.byKind.set(key, entry);
    }
    this.lastKind = { source: resource.source, kind: resource.kind, entry };
    return entry;
  }

  /**
   * Whether resources of this source and kind must be kept to the end of a run: a set policy
   * matches or reads them, or a resource policy reads the whole run.
   */
  setPoliciesRead(source: string, kind: string): boolean {
    if (this.readsRun) return true;
    for (const p of this.setPolicies)
      if (p.matchesKind(source, kind) || p.rule.readsKinds?.(source, kind)) return true;
    return false;
  }

  excluded(resource: Resource): boolean {
    const { excludeNamespaces, excludeFiles, excludeResources } = this;
    if (
      excludeNamespaces.length &&
      resource.namespace !== undefined &&
      excludeNamespaces.some((g) => g.match(resource.namespace!))
    )
      return true;
    if (excludeFiles.length && excludeFiles.some((g) => g.match(resource.location.file))) return true;
    if (excludeResources.length && excludeResources.some((g) => g.match(resource.id))) return true;
    return false;
  }

  async evaluate(input: Resource[], options: EvaluateOptions = {}): Promise<Result> {
    const session = new Session(this, options);
    await session.add(input);
    return session.finish();
  }

  session(options: EvaluateOptions = {}): EvaluationSession {
    return new Session(this, options);
  }

  /**
   * Runs the resource policies over `resources` (their facts complete), adding to `findings` and
   * `evaluated`; `refs` gives each resource's report reference.
   */
  check(
    resources: readonly Resource[],
    ctx: EvalContext,
    refs: RefTable,
    findings: Finding[],
    evaluated: EvaluatedMap,
    progress?: (done: number) => void,
  ): void {
    // Indexed loops: this runs once per evaluation, mostly before it is optimised, when each step
    // of an array iterator allocates a result object.
    for (let r = 0; r < resources.length; r += 1) {
      const resource = resources[r]!;
      if (progress && (r & 255) === 0) progress(r);
      const entry = this.candidates(resource);
      const ids: string[] | undefined = entry.ids || entry.subsets ? undefined : [];
      let mask = 0;
      const list = entry.list;
      for (let p = 0; p < list.length; p += 1) {
        const compiled = list[p]!;
        if (compiled.matchesResource && !compiled.matchesResource(resource)) continue;
        if (ids) ids.push(compiled.policy.id);
        else mask |= 1 << p;
        const rule = compiled.rule;
        let violation: Violation | undefined;
        let violations: Violation[] | undefined;
        try {
          if (rule.evaluateOne) violation = rule.evaluateOne(resource, ctx);
          else violations = rule.evaluate!(resource, ctx);
        } catch (error) {
          findings.push(this.errorFinding(compiled, error, refs.at(r)));
          continue;
        }
        if (violation) findings.push(this.finding(compiled, resource, violation, refs.at(r)));
        else if (violations)
          for (let v = 0; v < violations.length; v += 1)
            findings.push(this.finding(compiled, resource, violations[v]!, refs.at(r)));
      }
      evaluated.record(resource.id, ids ?? entry.ids ?? subsetIds(entry, mask));
    }
  }

  /** Runs the set policies over the resources kept to the end of a run. */
  checkSets(
    kinds: KindIndex,
    ctx: EvalContext,
    refs: RefTable,
    findings: Finding[],
    evaluated: EvaluatedMap,
  ): void {
    for (const compiled of this.setPolicies) {
      let matched = kinds.select(compiled.matchesKind);
      if (compiled.matchesResource) matched = matched.filter(compiled.matchesResource);
      if (matched.length === 0) continue;
      for (const resource of matched) evaluated.add(resource.id, compiled.policy.id);
      try {
        for (const violation of compiled.rule.evaluateSet!(matched, ctx)) {
          findings.push(this.finding(compiled, violation.resource, violation, refs.of(violation.resource)));
        }
      } catch (error) {
        findings.push(this.errorFinding(compiled, error, refs.of(matched[0]!)));
      }
    }
  }

  /** The policies as written, for fact providers. */
  get policySources(): readonly Policy[] {
    return this.sources;
  }

  get hasExclusions(): boolean {
    return this.excludeNamespaces.length + this.excludeFiles.length + this.excludeResources.length > 0;
  }

  /** The references by line made for the resource being checked (`lineRefsOf`'s). */
  private readonly lineRefs = new Map<number, ResourceRef>();
  private lineRefsOf: ResourceRef | undefined;

  /**
   * The finding's resource reference: shared per resource unless the field has a line of its own,
   * and then shared by the resource's findings on that line (a container's, say).
   */
  private ref(resource: Resource, path: string, base: ResourceRef): ResourceRef {
    if (path !== '' && resource.lineOf) {
      let line: number | undefined;
      try {
        line = resource.lineOf(path);
      } catch {
        // A line is a convenience; the resource's own line stands.
      }
      if (line !== undefined && line !== base.line) {
        if (this.lineRefsOf !== base) {
          this.lineRefsOf = base;
          this.lineRefs.clear();
        }
        let ref = this.lineRefs.get(line);
        if (!ref) {
          ref = { id: base.id, kind: base.kind, source: base.source, file: base.file, line };
          this.lineRefs.set(line, ref);
        }
        return ref;
      }
    }
    return base;
  }

  finding(compiled: CompiledPolicy, resource: Resource, violation: Violation, base: ResourceRef): Finding {
    const path = violation.path;
    const finding: Finding = {
      policyId: compiled.policy.id,
      severity: compiled.severity,
      status: statusFor(compiled.mode, violation),
      mode: compiled.mode,
      message: violation.message ?? compiled.message(resource, compiled.params, path, violation.values),
      path,
      resource: this.ref(resource, path, base),
    };
    if (violation.unknownPaths?.length) finding.unknownPaths = violation.unknownPaths;
    if (violation.details) finding.details = violation.details;
    return finding;
  }

  errorFinding(compiled: CompiledPolicy, error: unknown, base: ResourceRef): Finding {
    return {
      policyId: compiled.policy.id,
      severity: compiled.severity,
      status: 'error',
      mode: compiled.mode,
      message: `policy ${compiled.policy.id} could not be evaluated: ${describeError(error)}`,
      path: '',
      resource: base,
    };
  }
}

/**
 * The resources that see each other (relations, aggregates, rules reading the run): each Terraform
 * plan file is a world of its own, since a plan describes one root module and one state, so another
 * plan's resources must never satisfy or break its policies; manifests and images of a run form one
 * world together, as a cluster holds them all. Worlds keep the order of their first resource.
 */
function worldsOf(resources: Resource[]): Resource[][] {
  const keyOf = (resource: Resource) =>
    resource.source === 'terraform' ? `terraform\0${resource.location.file}` : '';
  if (resources.length === 0) return [resources];
  const first = keyOf(resources[0]!);
  let i = 1;
  while (i < resources.length && keyOf(resources[i]!) === first) i += 1;
  if (i === resources.length) return [resources];
  const worlds = new Map<string, Resource[]>();
  for (const resource of resources) {
    const key = keyOf(resource);
    const world = worlds.get(key);
    if (world) world.push(resource);
    else worlds.set(key, [resource]);
  }
  return [...worlds.values()];
}

/**
 * One run of the engine. Resources arrive in parts; those that neither a set policy, a policy
 * reading the whole run, nor a fact provider needs beside others are checked a chunk at a time and
 * dropped, the rest are held and checked at the end with what providers derive from them. The
 * result is the one a single evaluation of everything gives: findings and resources are sorted at
 * the end, and notices come in the same order (the caller's, fact providers', exclusions, rules',
 * then approvals and waivers).
 */
class Session implements EvaluationSession {
  private readonly givenNotices: Notice[];
  private readonly factNotices: Notice[] = [];
  private readonly ruleNotices: Notice[] = [];
  private readonly extras: Record<string, unknown> = {};
  private readonly runs: Array<{ name: string; run: FactRun }> = [];
  private readonly findings: Finding[] = [];
  private readonly refList: ResourceRef[] = [];
  private readonly evaluated = new EvaluatedMap();
  private readonly annotations: WaiverAnnotations;
  private readonly holdByKind = new Map<string, boolean>();
  private lastHold: { source: string; kind: string; hold: boolean } | undefined;
  private excludedCount = 0;
  /** Arrived, waiting for the next chunk. */
  private pending: Resource[] = [];
  /** Held to the end (fact providers have seen them in their chunk). */
  private held: Resource[] = [];
  private seen = 0;
  private checked = 0;
  private state: 'open' | 'adding' | 'finished' = 'open';

  constructor(
    private readonly engine: PolicyEngine,
    private readonly options: EvaluateOptions,
  ) {
    this.givenNotices = [...(options.notices ?? [])];
    this.annotations = new WaiverAnnotations(engine.settings.allowAnnotationWaivers);
    if (options.skipFacts) return;
    const ctx = {
      settings: engine.settings,
      policies: engine.policySources,
      notices: this.factNotices,
      extras: this.extras,
    };
    for (const provider of factProviders) {
      try {
        this.runs.push({ name: provider.name, run: provider.start(ctx) });
      } catch (error) {
        this.factsFailed(provider.name, error);
      }
    }
  }

  async add(resources: readonly Resource[], notices?: readonly Notice[]): Promise<void> {
    if (this.state !== 'open')
      throw new Error(
        `evaluation session: add() ${this.state === 'adding' ? 'before the previous add() settled' : 'after finish()'}`,
      );
    this.state = 'adding';
    if (notices) for (const notice of notices) this.givenNotices.push(notice);
    try {
      this.seen += resources.length;
      for (let i = 0; i < resources.length; i += 1) {
        const resource = resources[i]!;
        if (this.pending.push(resource) >= CHUNK) await this.flush();
      }
    } finally {
      this.state = 'open';
    }
  }

  async finish(): Promise<Result> {
    if (this.state !== 'open')
      throw new Error(
        `evaluation session: finish() ${this.state === 'adding' ? 'before add() settled' : 'called twice'}`,
      );
    this.state = 'finished';
    await this.flush();
    const engine = this.engine;
    let resources = this.held;
    this.held = [];
    for (const { name, run } of this.runs) {
      try {
        const added = await run.finish(resources);
        if (added && added.length) {
          resources = resources.concat(added);
          this.seen += added.length;
        }
      } catch (error) {
        this.factsFailed(name, error);
      }
    }
    const { findings, refList, evaluated } = this;
    for (const world of worldsOf(resources)) {
      const { kinds, ctx, refs } = this.checkPart(world);
      engine.checkSets(kinds, ctx, refs, findings, evaluated);
    }

    const notices = this.givenNotices.concat(this.factNotices);
    if (this.excludedCount)
      notices.push({
        level: 'info',
        code: 'excluded',
        message: `${this.excludedCount} resource(s) excluded by configuration`,
      });
    for (const notice of this.ruleNotices) notices.push(notice);
    applyApprovals(findings, engine.settings.approvals, notices);
    applyWaivers(findings, engine.settings.waivers, this.options.now ?? new Date(), notices, {
      annotations: this.annotations,
    });
    findings.sort(compareFindings);
    refList.sort(compareResources);
    return {
      findings,
      resources: refList,
      policies: engine.infos,
      notices,
      summary: summarize(findings, refList.length, engine.policies.length),
      evaluated,
      extras: this.extras,
    };
  }

  /** Whether the resource must wait for the end of the run (answered per source and kind). */
  private holds(resource: Resource): boolean {
    const { source, kind } = resource;
    const last = this.lastHold;
    if (last && last.source === source && last.kind === kind) return last.hold;
    const key = `${source}\0${kind}`;
    let hold = this.holdByKind.get(key);
    if (hold === undefined) {
      hold =
        this.engine.setPoliciesRead(source, kind) ||
        this.runs.some(({ run }) => run.holdsKind?.(source, kind) === true);
      if (this.holdByKind.size >= MAX_KIND_CACHE) this.holdByKind.clear();
      this.holdByKind.set(key, hold);
    }
    this.lastHold = { source, kind, hold };
    return hold;
  }

  /**
   * Takes the pending chunk: fact providers see all of it, held or not (images come from every
   * workload as it arrives); what must wait is held, the rest is checked now and only its output kept.
   */
  private async flush(): Promise<void> {
    const chunk = this.pending;
    if (chunk.length === 0) return;
    this.pending = [];
    let arrived = chunk;
    for (const { name, run } of this.runs) {
      if (!run.chunk) continue;
      try {
        const added = await run.chunk(arrived);
        if (added && added.length) {
          this.seen += added.length;
          arrived = arrived.concat(added);
        }
      } catch (error) {
        this.factsFailed(name, error);
      }
    }
    const resources: Resource[] = [];
    for (let i = 0; i < arrived.length; i += 1) {
      const resource = arrived[i]!;
      (this.holds(resource) ? this.held : resources).push(resource);
    }
    this.checkPart(resources);
  }

  /**
   * Runs the resource policies over resources whose facts are complete, after exclusions; keeps
   * their findings, references and annotation waivers, and returns what set policies need.
   */
  private checkPart(given: Resource[]): { kinds: KindIndex; ctx: EvalContext; refs: RefTable } {
    const resources = this.withoutExcluded(given);
    this.annotations.add(resources);
    const kinds = new KindIndex(resources);
    const refs = new RefTable(resources);
    const ctx: EvalContext = {
      settings: this.engine.settings,
      notices: this.ruleNotices,
      resources,
      resourcesOfKinds: (matches) => kinds.select(matches),
      namespaceLabels: this.options.namespaceLabels,
      now: this.options.now,
    };
    this.engine.check(resources, ctx, refs, this.findings, this.evaluated, this.progress());
    const refList = this.refList;
    for (let r = 0; r < resources.length; r += 1) refList.push(refs.at(r));
    this.checked += resources.length;
    return { kinds, ctx, refs };
  }

  private withoutExcluded(resources: Resource[]): Resource[] {
    if (!this.engine.hasExclusions) return resources;
    const kept = resources.filter((resource) => !this.engine.excluded(resource));
    this.excludedCount += resources.length - kept.length;
    return kept;
  }

  /** Progress over everything seen so far: the caller's callback, given resources checked. */
  private progress(): ((done: number) => void) | undefined {
    const onProgress = this.options.onProgress;
    if (!onProgress) return undefined;
    const before = this.checked;
    return (done) => onProgress(before + done, Math.max(this.seen, before + done));
  }

  /** A provider that failed gives one warning per run, however many chunks it failed on. */
  private readonly failed = new Set<string>();
  private factsFailed(name: string, error: unknown): void {
    if (this.failed.has(name)) return;
    this.failed.add(name);
    this.factNotices.push({
      level: 'warning',
      code: 'facts-failed',
      message: `${name} facts unavailable: ${describeError(error)}`,
    });
  }
}
