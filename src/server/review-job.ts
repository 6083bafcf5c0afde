/**
 * One admission request from its body bytes to its answer: parse, check, decide, and summarise
 * what the HTTP thread needs for the response, the decision log and the metrics. The same function
 * runs in an evaluation thread (`parapet serve`) and in-process (`buildServer(engine)`), so both
 * decide alike.
 */
import secureJson from 'secure-json-parse';
import type { Finding } from '../model/finding.js';
import type { Engine } from '../engine/engine.js';
import {
  AdmissionScope,
  decideAdmission,
  newDecisionRecord,
  type AdmissionContext,
  type AdmissionRoute,
  type DecisionRecord,
} from './admission.js';
import { scanBody, type BodyScan } from './body-scan.js';
import {
  admissionApiVersions,
  denial,
  parseAdmissionReview,
  ReviewError,
  type AdmissionApiVersion,
  type AdmissionResponse,
} from './review.js';
import type { ServerSettings } from './settings.js';

/** Findings the decision log names per request. */
export const MAX_LOGGED_FINDINGS = 50;

/** What the HTTP thread knows of a review once it is parsed, before it is decided. */
export interface ReviewHeader {
  apiVersion: AdmissionApiVersion;
  uid: string;
  /** The decision-log record as it stands before the decision. */
  record: DecisionRecord;
}

export interface FindingCount {
  policy: string;
  status: string;
  n: number;
}

export interface LoggedFinding {
  policy: string;
  status: string;
  path: string;
  message: string;
}

export type ReviewAnswer =
  | {
      type: 'review';
      apiVersion: AdmissionApiVersion;
      response: AdmissionResponse;
      record: DecisionRecord;
      /** Findings by policy and status (for the findings counter). */
      counts: FindingCount[];
      /** The first findings, for the decision log. */
      logged: LoggedFinding[];
      budgetExceeded: boolean;
    }
  | { type: 'invalid'; message: string };

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a request body: plain JSON.parse, and secure-json-parse (which refuses `__proto__` and
 * `constructor.prototype` keys) only for bodies that could hold such a key, written out or escaped;
 * its scans cost more than a third of the parse itself.
 */
export function parseBody(body: Uint8Array | string): unknown {
  let text: string;
  try {
    text = typeof body === 'string' ? body : decoder.decode(body);
  } catch {
    throw new ReviewError('Body is not valid JSON: it is not UTF-8 text');
  }
  if (text.length === 0) throw new ReviewError('Body is not valid JSON: the body is empty');
  const guarded = text.includes('__proto__') || text.includes('constructor') || text.includes('\\u');
  try {
    return guarded
      ? secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
      : JSON.parse(text);
  } catch (error) {
    throw new ReviewError(`Body is not valid JSON: ${(error as Error).message}`);
  }
}

/** The header of a review read by `scanBody` (apiVersion and uid only), when both were read. */
export function scannedHeader(route: AdmissionRoute, scan: BodyScan): ReviewHeader | undefined {
  const apiVersion = admissionApiVersions.find((version) => version === scan.apiVersion);
  if (!apiVersion || scan.uid === undefined || scan.uid === '') return undefined;
  const record = newDecisionRecord(route, {
    uid: scan.uid,
    kind: { group: '', version: '', kind: '' },
    operation: 'CREATE',
    userInfo: {},
    dryRun: false,
  });
  record.operation = '';
  return { apiVersion, uid: scan.uid, record };
}

/**
 * The answer to a body past the value, list or depth limits, read before parsing it: a denial
 * naming the request when its uid was read, HTTP 400 otherwise.
 */
function refuseOversized(
  route: AdmissionRoute,
  body: Uint8Array,
  settings: ServerSettings,
  started: number,
): ReviewAnswer | undefined {
  // The review and its request add two levels above the object.
  const scan = scanBody(body, {
    maxValues: settings.maxValues,
    maxListItems: settings.maxListItems,
    maxDepth: settings.maxDepth + 2,
  });
  if (!scan.violation) return undefined;
  const header = scannedHeader(route, scan);
  if (!header) return { type: 'invalid', message: `request refused: ${scan.violation}` };
  const { apiVersion, record } = header;
  // Denied on both routes: padding an object must buy it neither a pass nor a skipped repair.
  record.decision = 'denied';
  record.reason = 'limit-exceeded';
  record.durationMs = performance.now() - started;
  return {
    type: 'review',
    apiVersion,
    response: denial(header.uid, `parapet denied the request: ${scan.violation}`),
    record,
    counts: [],
    logged: [],
    budgetExceeded: false,
  };
}

/** Findings by policy and status: one increment per pair, since each increment hashes its labels. */
function countFindings(findings: readonly Finding[]): FindingCount[] {
  const counts = new Map<string, FindingCount>();
  for (const finding of findings) {
    const key = `${finding.policyId}\0${finding.status}`;
    const count = counts.get(key);
    if (count) count.n += 1;
    else counts.set(key, { policy: finding.policyId, status: finding.status, n: 1 });
  }
  return [...counts.values()];
}

/**
 * Answers one request body on `route`. `onHeader` hears the request as soon as it is parsed (the
 * HTTP thread answers with it if the evaluation is stopped). Never throws.
 */
export async function answerReview(
  route: AdmissionRoute,
  body: Uint8Array | string,
  ctx: AdmissionContext,
  started: number,
  options: { budget?: boolean; onHeader?: (header: ReviewHeader) => void } = {},
): Promise<ReviewAnswer> {
  if (typeof body !== 'string') {
    const refused = refuseOversized(route, body, ctx.settings, started);
    if (refused) return refused;
  }
  let parsed: unknown;
  try {
    parsed = parseBody(body);
  } catch (error) {
    return { type: 'invalid', message: (error as Error).message };
  }
  let review;
  try {
    review = parseAdmissionReview(parsed);
  } catch (error) {
    if (error instanceof ReviewError)
      return { type: 'invalid', message: `invalid AdmissionReview: ${error.message}` };
    throw error;
  }
  options.onHeader?.({
    apiVersion: review.apiVersion,
    uid: review.request.uid,
    record: newDecisionRecord(route, review.request),
  });
  const outcome = await decideAdmission(route, review.request, ctx, started, { budget: options.budget });
  const { record } = outcome;
  const counts = !record.dryRun && route === 'validate' ? countFindings(outcome.findings) : [];
  const logged = outcome.findings.slice(0, MAX_LOGGED_FINDINGS).map((f) => ({
    policy: f.policyId,
    status: f.status,
    path: f.path,
    message: f.message,
  }));
  return {
    type: 'review',
    apiVersion: review.apiVersion,
    response: outcome.response,
    record,
    counts,
    logged,
    budgetExceeded: outcome.budgetExceeded,
  };
}

/** The loaded library as the HTTP thread sees it: what /readyz and the metrics labels need. */
export interface PolicyCatalogue {
  /** Number of compiled policies. */
  policies: number;
  /** Policy ids of the loaded library: the `policy` label's values. */
  policyIds: string[];
  /** Kinds the policies match by name (not by glob): the `kind` label's values besides `other`. */
  kinds: string[];
  /** Some policy selects namespaces by their labels, which admission requests do not carry. */
  readsNamespaceLabels: boolean;
}

const GLOB_CHARACTERS = /[*?[\]{}!+@()]/;

/** The catalogue of `engine`'s policies. */
export function policyCatalogue(engine: Engine): PolicyCatalogue {
  const kinds = new Set<string>();
  for (const { policy } of engine.policies)
    for (const kind of policy.match?.kinds ?? []) if (!GLOB_CHARACTERS.test(kind)) kinds.add(kind);
  return {
    policies: engine.policies.length,
    policyIds: engine.policies.map((p) => p.policy.id),
    kinds: [...kinds].sort(),
    readsNamespaceLabels: engine.policies.some((p) => p.rule.readsNamespaceLabels === true),
  };
}

/** What `decideAdmission` needs besides the request, built once per engine. */
export function admissionContext(
  engine: Engine,
  settings: ServerSettings,
  namespaceLabels?: (name: string) => Record<string, string> | undefined,
): AdmissionContext {
  return {
    namespaceLabels,
    engine,
    settings,
    scope: new AdmissionScope(settings),
    policies: new Map(engine.policies.map((p) => [p.policy.id, p.policy])),
    setPolicies: new Set(engine.policies.filter((p) => p.rule.scope === 'set').map((p) => p.policy.id)),
  };
}
