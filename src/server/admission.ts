/**
 * One admission decision: an AdmissionReview request in, the AdmissionResponse and the decision-log
 * record out. Verdicts come from the same engine and gate rule as `parapet check`: a request is
 * denied exactly when the same object would make `parapet check` exit 1.
 */
import { Minimatch } from 'minimatch';
import type { Engine } from '../engine/engine.js';
import { admissionResource } from '../inputs/admission-review.js';
import { describeError } from '../model/errors.js';
import type { Finding } from '../model/finding.js';
import type { Policy } from '../model/policy.js';
import type { Resource } from '../model/resource.js';
import { gates, type Result } from '../model/result.js';
import { objectLimitViolation } from './limits.js';
import { applyMutation, buildMutation, type MutationPlan } from './mutation.js';
import { denial, type AdmissionRequest, type AdmissionResponse } from './review.js';
import type { ServerSettings } from './settings.js';

export type AdmissionRoute = 'validate' | 'mutate';

/** What the decision log records for one request (one JSON line). */
export interface DecisionRecord {
  uid: string;
  route: AdmissionRoute;
  operation: string;
  kind: string;
  namespace?: string;
  name?: string;
  user?: string;
  dryRun: boolean;
  /** allowed, denied, or skipped (excluded by scope). */
  decision: 'allowed' | 'denied' | 'skipped';
  /** Why: `policies`, `excluded-namespace`, `excluded-user`, `no-object`, `budget-exceeded`, `evaluation-error`. */
  reason: string;
  failing: string[];
  warnings: string[];
  audit: string[];
  unknown: string[];
  errors: string[];
  waived: string[];
  patched?: string[];
  /** /mutate: policies configured to mutate whose fix was left out (it cannot apply, or would not repair). */
  unpatched?: string[];
  durationMs: number;
  evaluationMs?: number;
}

export interface AdmissionOutcome {
  response: AdmissionResponse;
  record: DecisionRecord;
  /** Findings of the evaluation, when there was one. */
  findings: Finding[];
  budgetExceeded: boolean;
}

const MAX_WARNING_LENGTH = 240;
const MAX_WARNINGS = 20;

/** Whitespace that shortLine() would change: any but a single inner space. */
const UNTIDY_SPACE = /[^\S ]| {2}|^ | $/;

function shortLine(text: string): string {
  // Most messages are one tidy line already: test, and only rewrite when needed.
  const line = UNTIDY_SPACE.test(text) ? text.replace(/\s+/g, ' ').trim() : text;
  return line.length > MAX_WARNING_LENGTH ? `${line.slice(0, MAX_WARNING_LENGTH - 1)}…` : line;
}

/** A one-off denial message, cut to the same length as a policy denial. */
function shortDenial(text: string): string {
  return text.length > MAX_DENIAL_LENGTH ? `${text.slice(0, MAX_DENIAL_LENGTH - 1)}…` : text;
}

function unique(values: string[]): string[] {
  if (values.length < 2) return values;
  return [...new Set(values)].sort();
}

/** Each policy's remediation as one short line, made once per policy document. */
const remediationLines = new WeakMap<Policy, string>();
function remediationLine(policy: Policy | undefined): string {
  if (!policy?.remediation) return '';
  let line = remediationLines.get(policy);
  if (line === undefined) {
    line = ` (fix: ${shortLine(policy.remediation)})`;
    remediationLines.set(policy, line);
  }
  return line;
}

class BudgetExceeded extends Error {}

function withBudget<T>(promise: Promise<T>, budgetMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new BudgetExceeded(`evaluation exceeded its ${budgetMs} ms budget`)),
      budgetMs,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Compiled scope rules: who and what the webhook never evaluates. */
export class AdmissionScope {
  private readonly namespaces: Minimatch[];
  private readonly users: Minimatch[];
  private readonly groups: Minimatch[];
  private readonly deletePolicies: Minimatch[];

  constructor(settings: ServerSettings) {
    const globs = (patterns: string[]) => patterns.map((p) => new Minimatch(p, { dot: true }));
    this.namespaces = globs([...settings.excludeNamespaces, settings.namespace]);
    this.users = globs(settings.excludeUsers);
    this.groups = globs(settings.excludeGroups);
    this.deletePolicies = globs(settings.deletePolicies);
  }

  /** The reason `request` is out of scope, or undefined when it is evaluated. */
  exclusion(request: AdmissionRequest): string | undefined {
    const namespace = request.namespace ?? metadataNamespace(request.object);
    if (namespace !== undefined && this.namespaces.some((g) => g.match(namespace)))
      return 'excluded-namespace';
    // A Namespace object is judged by its own name: excluding kube-system also protects the namespace itself.
    if (
      request.kind.kind === 'Namespace' &&
      request.name &&
      this.namespaces.some((g) => g.match(request.name!))
    )
      return 'excluded-namespace';
    const user = request.userInfo.username;
    if (user !== undefined && this.users.some((g) => g.match(user))) return 'excluded-user';
    if (
      this.groups.length &&
      (request.userInfo.groups ?? []).some((group) => this.groups.some((g) => g.match(group)))
    )
      return 'excluded-group';
    return undefined;
  }

  evaluatesOnDelete(policyId: string): boolean {
    return this.deletePolicies.some((g) => g.match(policyId));
  }

  get hasDeletePolicies(): boolean {
    return this.deletePolicies.length > 0;
  }
}

function metadataNamespace(object: Record<string, unknown> | undefined): string | undefined {
  const metadata = object?.metadata;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const namespace = (metadata as Record<string, unknown>).namespace;
  return typeof namespace === 'string' && namespace !== '' ? namespace : undefined;
}

/** The longest denial message: whatever the object, the AdmissionResponse stays a few KB. */
const MAX_DENIAL_LENGTH = 3000;

/**
 * The denial message: the failing findings grouped by policy, at most `limit` of them named, and
 * how many more there are.
 */
function formatDenial(
  resourceId: string,
  failing: Finding[],
  policies: ReadonlyMap<string, Policy>,
  limit: number,
): string {
  const byPolicy = new Map<string, Finding[]>();
  for (const finding of failing) {
    const list = byPolicy.get(finding.policyId);
    if (list) list.push(finding);
    else byPolicy.set(finding.policyId, [finding]);
  }
  let text = `parapet denied ${shortLine(resourceId)}:`;
  let named = 0;
  for (const [policyId, findings] of byPolicy) {
    if (named >= limit) break;
    const shown = findings.slice(0, limit - named);
    named += shown.length;
    const messages = unique(shown.map((f) => shortLine(f.message))).join('; ');
    text += ` [${policyId}] ${messages}${remediationLine(policies.get(policyId))}`;
  }
  const more = failing.length - named;
  if (more > 0) text += ` … and ${more} more finding${more === 1 ? '' : 's'} (${failing.length} in all)`;
  return text.length > MAX_DENIAL_LENGTH ? `${text.slice(0, MAX_DENIAL_LENGTH - 1)}…` : text;
}

export interface AdmissionContext {
  engine: Engine;
  settings: ServerSettings;
  scope: AdmissionScope;
  /** Policy documents by id, for remediation text and fixes. */
  policies: ReadonlyMap<string, Policy>;
  /**
   * Ids of set-scoped policies (relations, aggregates): they need the whole input (a NetworkPolicy
   * beside the Deployment), which a single admission request does not carry, so they do not decide.
   */
  setPolicies: ReadonlySet<string>;
  /**
   * Labels of the cluster's Namespaces, for namespaceSelectors (Gatekeeper, Kyverno): the object under
   * review does not carry them. Undefined without a watch of the cluster: such selectors are unknown.
   */
  namespaceLabels?: (name: string) => Record<string, string> | undefined;
}

/** The decision-log record of `request` before it is decided. */
export function newDecisionRecord(route: AdmissionRoute, request: AdmissionRequest): DecisionRecord {
  return {
    uid: request.uid,
    route,
    operation: request.operation,
    kind: request.kind.kind,
    namespace: request.namespace ?? metadataNamespace(request.object ?? request.oldObject),
    name: request.name ?? nameOf(request.object ?? request.oldObject),
    user: request.userInfo.username,
    dryRun: request.dryRun,
    decision: 'allowed',
    reason: 'policies',
    failing: [],
    warnings: [],
    audit: [],
    unknown: [],
    errors: [],
    waived: [],
    durationMs: 0,
  };
}

/**
 * The configured failure decision for a request whose evaluation did not finish (`reason`:
 * `budget-exceeded` or `evaluation-error`), with `message` saying why. Sets the record's decision.
 */
export function failureResponse(
  request: Pick<AdmissionRequest, 'uid'>,
  record: DecisionRecord,
  settings: ServerSettings,
  reason: 'budget-exceeded' | 'evaluation-error',
  message: string,
): AdmissionResponse {
  record.reason = reason;
  const warning = `parapet: ${message}; ${settings.failureDecision === 'allow' ? 'allowed' : 'denied'} by the configured failure decision`;
  if (settings.failureDecision === 'allow') {
    record.decision = 'allowed';
    return { uid: request.uid, allowed: true, warnings: [shortLine(warning)] };
  }
  record.decision = 'denied';
  const response = denial(request.uid, shortDenial(warning));
  response.warnings = [shortLine(warning)];
  return response;
}

export interface DecideOptions {
  /**
   * Stop waiting for the evaluation at the settings' budget (default true). Evaluation threads
   * leave the budget to the thread that answers HTTP, which stops them from outside.
   */
  budget?: boolean;
}

/** Decides one admission request on `route`. Never throws: failures become the configured failure decision. */
export async function decideAdmission(
  route: AdmissionRoute,
  request: AdmissionRequest,
  ctx: AdmissionContext,
  started = performance.now(),
  options: DecideOptions = {},
): Promise<AdmissionOutcome> {
  const record = newDecisionRecord(route, request);
  const finish = (
    response: AdmissionResponse,
    findings: Finding[] = [],
    budgetExceeded = false,
  ): AdmissionOutcome => {
    record.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    return { response, record, findings, budgetExceeded };
  };

  const excluded = ctx.scope.exclusion(request);
  if (excluded) {
    record.decision = 'skipped';
    record.reason = excluded;
    return finish({ uid: request.uid, allowed: true });
  }

  const isDelete = request.operation === 'DELETE';
  const object = isDelete ? request.oldObject : request.object;
  if (!object || (isDelete && (route === 'mutate' || !ctx.scope.hasDeletePolicies))) {
    // DELETE and CONNECT carry no object to judge; DELETE is judged only by policies configured for it.
    if (!object && !isDelete && request.operation !== 'CONNECT') {
      record.decision = 'denied';
      record.reason = 'no-object';
      return finish(
        denial(
          request.uid,
          `parapet: ${request.operation} request for ${request.kind.kind} carries no object to evaluate`,
          400,
        ),
      );
    }
    record.reason = 'no-object';
    return finish({ uid: request.uid, allowed: true });
  }

  const limited = objectLimitViolation(object, ctx.settings);
  if (limited) {
    // Always a denial, whatever the failure decision: padding an object must not buy it a pass.
    record.decision = 'denied';
    record.reason = 'limit-exceeded';
    return finish(denial(request.uid, shortDenial(`parapet denied ${request.kind.kind}: ${limited}`)));
  }

  let resource: Resource;
  let result: Result;
  const evaluationStart = performance.now();
  try {
    resource = admissionResource(request, object, { file: `admission:${request.uid}`, line: 1 });
    const evaluation = ctx.engine.evaluate([resource], { namespaceLabels: ctx.namespaceLabels });
    result = await (options.budget === false ? evaluation : withBudget(evaluation, ctx.settings.budgetMs));
  } catch (error) {
    const overBudget = error instanceof BudgetExceeded;
    record.evaluationMs = performance.now() - evaluationStart;
    const response = failureResponse(
      request,
      record,
      ctx.settings,
      overBudget ? 'budget-exceeded' : 'evaluation-error',
      describeError(error),
    );
    return finish(response, [], overBudget);
  }
  record.evaluationMs = Math.round((performance.now() - evaluationStart) * 1000) / 1000;

  if (result.findings.length > ctx.settings.maxFindings) {
    // Denied on both routes, as for the other limits.
    record.decision = 'denied';
    record.reason = 'limit-exceeded';
    return finish(
      denial(
        request.uid,
        shortDenial(
          `parapet denied ${resource.id}: it raised ${result.findings.length} findings, above the limit of ${ctx.settings.maxFindings} (server.maxFindings)`,
        ),
      ),
    );
  }

  // Set-scoped rules (relations, aggregates) judge a whole input set; one admitted object is not one.
  let findings = ctx.setPolicies.size
    ? result.findings.filter((f) => !ctx.setPolicies.has(f.policyId))
    : result.findings;
  if (isDelete) findings = findings.filter((f) => ctx.scope.evaluatesOnDelete(f.policyId));
  const gateOptions = { failOn: ctx.engine.settings.failOn, unknown: ctx.engine.settings.unknown };
  const failing: Finding[] = [];
  const warnings: string[] = [];
  for (const finding of findings) {
    if (gates(finding, gateOptions)) {
      failing.push(finding);
      if (finding.status === 'error') record.errors.push(finding.policyId);
      else record.failing.push(finding.policyId);
      continue;
    }
    switch (finding.status) {
      case 'warn':
        record.warnings.push(finding.policyId);
        warnings.push(shortLine(`[${finding.policyId}] ${finding.message}`));
        break;
      case 'unknown':
        record.unknown.push(finding.policyId);
        if ((ctx.engine.settings.unknown ?? 'warn') === 'warn')
          warnings.push(shortLine(`[${finding.policyId}] ${finding.message}`));
        break;
      case 'audit':
        record.audit.push(finding.policyId);
        break;
      case 'waived':
      case 'approved':
        record.waived.push(finding.policyId);
        break;
      case 'fail':
      case 'error':
        // Below the failOn threshold: reported to the user, never gating (as in `parapet check`).
        record.warnings.push(finding.policyId);
        warnings.push(shortLine(`[${finding.policyId}] ${finding.message}`));
        break;
    }
  }
  for (const key of ['failing', 'warnings', 'audit', 'unknown', 'errors', 'waived'] as const)
    record[key] = unique(record[key]);
  const uniqueWarnings = unique(warnings).slice(0, MAX_WARNINGS);

  if (route === 'mutate') {
    // The mutating webhook never denies: it repairs what it can; the validating webhook judges.
    const plan = await verifiedMutation(request, resource, findings, ctx);
    const response: AdmissionResponse = { uid: request.uid, allowed: true };
    const warnings: string[] = [];
    if (plan.patch.length > 0) {
      response.patchType = 'JSONPatch';
      response.patch = Buffer.from(JSON.stringify(plan.patch)).toString('base64');
      record.patched = plan.policies;
      for (const id of plan.policies)
        warnings.push(`parapet mutated ${resource.id}: applied the fix of ${id}`);
    }
    if (plan.skipped.length > 0) {
      record.unpatched = unique(plan.skipped.map((s) => s.policyId));
      for (const skipped of plan.skipped.slice(0, MAX_WARNINGS))
        warnings.push(shortLine(`parapet left out the fix of ${skipped.policyId}: ${skipped.reason}`));
    }
    if (warnings.length > 0) response.warnings = unique(warnings).slice(0, MAX_WARNINGS);
    return finish(response, findings);
  }

  if (failing.length > 0) {
    record.decision = 'denied';
    const response = denial(
      request.uid,
      formatDenial(resource.id, failing, ctx.policies, ctx.settings.maxDeniedFindings),
    );
    if (uniqueWarnings.length) response.warnings = uniqueWarnings;
    return finish(response, findings);
  }
  const response: AdmissionResponse = { uid: request.uid, allowed: true };
  if (uniqueWarnings.length) response.warnings = uniqueWarnings;
  return finish(response, findings);
}

const MUTATING_STATUSES = new Set(['fail', 'warn', 'audit']);

/**
 * The mutation of `resource`, checked: the patched object is evaluated again, and the fixes of
 * policies it still fails are left out (a fix that does not repair is no fix), so the patch the
 * API server applies always passes the policies it names.
 */
async function verifiedMutation(
  request: AdmissionRequest,
  resource: Resource,
  findings: Finding[],
  ctx: AdmissionContext,
): Promise<MutationPlan> {
  const exclude = new Set<string>();
  let plan = buildMutation(resource, findings, ctx.policies, ctx.settings.mutate);
  for (let round = 0; round < 3; round += 1) {
    if (plan.patch.length === 0) return plan;
    const patched = applyMutation(resource.body, plan.patch);
    const check = admissionResource(request, patched, resource.location);
    const after = await ctx.engine.evaluate([check]);
    const fixed = new Set(plan.policies);
    const unrepaired = new Set(
      after.findings
        .filter((f) => fixed.has(f.policyId) && MUTATING_STATUSES.has(f.status))
        .map((f) => f.policyId),
    );
    if (unrepaired.size === 0) return plan;
    for (const id of unrepaired) exclude.add(id);
    const skipped = plan.skipped;
    plan = buildMutation(resource, findings, ctx.policies, ctx.settings.mutate, { exclude });
    plan.skipped.unshift(
      ...skipped,
      ...[...unrepaired].map((policyId) => ({
        policyId,
        reason: `${resource.id} would still fail it`,
      })),
    );
  }
  return { patch: [], policies: [], skipped: plan.skipped };
}

function nameOf(object: Record<string, unknown> | undefined): string | undefined {
  const metadata = object?.metadata;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const { name, generateName } = metadata as Record<string, unknown>;
  if (typeof name === 'string' && name !== '') return name;
  return typeof generateName === 'string' && generateName !== '' ? `${generateName}*` : undefined;
}
