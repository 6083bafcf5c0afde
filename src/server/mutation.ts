/**
 * Builds the JSON Patch `/mutate` returns: each failing mutating policy's `fix`, rebased from the
 * rule's target instance (`/container/...`, `/pod/...`, the pod spec, the body) onto the object, with
 * missing parents created so the patch applies to the object as the API server holds it.
 */
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { Minimatch } from 'minimatch';
import type { Finding } from '../model/finding.js';
import type { Policy } from '../model/policy.js';
import type { ContainerFact, Resource } from '../model/resource.js';
import { escapePointerToken, getAtPointer, pointerTokens } from '../engine/pointer.js';

const { applyOperation } = fastJsonPatch;

export interface MutationPlan {
  /** RFC 6902 operations over the admission object, in application order. */
  patch: Operation[];
  /** Ids of the policies whose fixes are in the patch. */
  policies: string[];
  /** Policies whose fix could not be placed (the reason, one line each). */
  skipped: Array<{ policyId: string; reason: string }>;
}

type Target = 'body' | 'podSpec' | 'containers' | 'resource';

function ruleTarget(policy: Policy): Target | undefined {
  const rule = policy.rule as { schema?: { target?: Target } };
  if (rule.schema) return rule.schema.target ?? 'body';
  // Fixes of non-schema rules are written against the body.
  return 'body';
}

function isUnder(pointer: string, base: string): boolean {
  return pointer === base || (pointer.startsWith(base) && pointer.charAt(base.length) === '/');
}

/** The container a finding's path points into (the longest matching container path). */
function containerOf(resource: Resource, path: string): ContainerFact | undefined {
  let best: ContainerFact | undefined;
  for (const fact of resource.facts.containers ?? []) {
    if (isUnder(path, fact.path) && (!best || fact.path.length > best.path.length)) best = fact;
  }
  return best;
}

/** Maps a fix pointer (relative to the target instance) onto the object; undefined when it cannot. */
function rebase(
  pointer: string,
  target: Target,
  resource: Resource,
  container: ContainerFact | undefined,
): string | undefined {
  const prefixed = (prefix: string, base: string | undefined): string | undefined => {
    if (base === undefined || !isUnder(pointer, prefix)) return undefined;
    return base + pointer.slice(prefix.length);
  };
  switch (target) {
    case 'body':
      return pointer;
    case 'podSpec':
      return resource.facts.podSpecPath === undefined ? undefined : resource.facts.podSpecPath + pointer;
    case 'containers':
      return (
        prefixed('/container', container?.path) ??
        prefixed('/pod', resource.facts.podSpecPath) ??
        prefixed('/podMetadata', resource.facts.podMetadataPath as string | undefined)
      );
    case 'resource':
      return prefixed('/body', '');
  }
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === 'object' && value !== null;
}

/**
 * Emits `add` operations for every missing parent of `pointer` in `document` (objects, or arrays
 * where the next token is an index or `-`), applying them to `document` as it goes.
 */
function createParents(document: Record<string, unknown>, pointer: string, out: Operation[]): boolean {
  const tokens = pointerTokens(pointer);
  let current: unknown = document;
  let path = '';
  for (let i = 0; i < tokens.length - 1; i += 1) {
    const token = tokens[i]!;
    const next = tokens[i + 1]!;
    if (!isContainer(current)) return false;
    path += '/' + escapePointerToken(token);
    let child: unknown = Array.isArray(current)
      ? current[Number(token)]
      : (current as Record<string, unknown>)[token];
    if (child === undefined || child === null) {
      if (Array.isArray(current)) return false;
      child = next === '-' || /^\d+$/.test(next) ? [] : {};
      const op: Operation = { op: 'add', path, value: structuredClone(child) };
      // The document gets its own copy: later operations fill it, the emitted one stays as it was.
      applyOperation(document, { ...op, value: structuredClone(child) }, false, true, true);
      out.push(op);
      child = (current as Record<string, unknown>)[token];
    }
    current = child;
  }
  return isContainer(current);
}

/** Rebases one fix operation and appends what it takes to apply it; false when it cannot apply. */
function placeOperation(
  document: Record<string, unknown>,
  raw: Record<string, unknown>,
  map: (p: string) => string | undefined,
  out: Operation[],
): boolean {
  const op = String(raw.op);
  const path = typeof raw.path === 'string' ? map(raw.path) : undefined;
  if (path === undefined) return false;
  const from = typeof raw.from === 'string' ? map(raw.from) : undefined;
  const staged: Operation[] = [];
  let operation: Operation;
  switch (op) {
    case 'add':
    case 'replace': {
      if (!createParents(document, path, staged)) return false;
      // `replace` of a missing member is an error in RFC 6902; the intent is "make it this value".
      const current = getAtPointer(document, path);
      const exists = current !== undefined;
      // Already that value (another instance's fix set it): nothing to emit.
      if (exists && JSON.stringify(current) === JSON.stringify(raw.value)) return true;
      operation = { op: exists ? op : 'add', path, value: structuredClone(raw.value) } as Operation;
      break;
    }
    case 'remove':
      if (getAtPointer(document, path) === undefined) return true;
      operation = { op: 'remove', path };
      break;
    case 'test':
      operation = { op: 'test', path, value: raw.value } as Operation;
      break;
    case 'move':
    case 'copy':
      if (from === undefined || getAtPointer(document, from) === undefined) return false;
      if (!createParents(document, path, staged)) return false;
      operation = { op, from, path } as Operation;
      break;
    default:
      return false;
  }
  try {
    const applied =
      'value' in operation
        ? ({ ...operation, value: structuredClone(operation.value) } as Operation)
        : operation;
    applyOperation(document, applied, true, true, true);
  } catch {
    return false;
  }
  out.push(...staged);
  if (operation.op !== 'test') out.push(operation);
  return true;
}

/**
 * The patch that applies the fixes of `findings` (violations of `resource` in any mode) whose policy id
 * matches one of `mutate`. `policies` maps policy ids to their documents.
 */
export function buildMutation(
  resource: Resource,
  findings: Finding[],
  policies: ReadonlyMap<string, Policy>,
  mutate: string[],
): MutationPlan {
  const plan: MutationPlan = { patch: [], policies: [], skipped: [] };
  if (mutate.length === 0) return plan;
  const matchers = mutate.map((glob) => new Minimatch(glob, { dot: true }));
  // A working copy: each fix sees the previous ones, so parents are created once.
  let document: Record<string, unknown> | undefined;
  const done = new Set<string>();
  for (const finding of findings) {
    // Waived and approved findings are accepted exceptions: they are left as they are.
    if (finding.status !== 'fail' && finding.status !== 'warn' && finding.status !== 'audit') continue;
    const policy = policies.get(finding.policyId);
    if (!policy?.fix?.length || !matchers.some((m) => m.match(policy.id))) continue;
    const target = ruleTarget(policy);
    if (!target) continue;
    const container = target === 'containers' ? containerOf(resource, finding.path) : undefined;
    const instance = `${policy.id}\0${container?.path ?? ''}`;
    if (done.has(instance)) continue;
    done.add(instance);
    document ??= structuredClone(resource.body);
    const ops: Operation[] = [];
    const trial = structuredClone(document);
    const placed = policy.fix.every((raw) =>
      placeOperation(trial, raw, (p) => rebase(p, target, resource, container), ops),
    );
    if (!placed) {
      plan.skipped.push({
        policyId: policy.id,
        reason: `fix of ${policy.id} does not apply at ${finding.path || '/'}`,
      });
      continue;
    }
    document = trial;
    plan.patch.push(...ops);
    if (!plan.policies.includes(policy.id)) plan.policies.push(policy.id);
  }
  return plan;
}

/** Applies a patch to a copy of `body` (what the API server will do with it). */
export function applyMutation(body: Record<string, unknown>, patch: Operation[]): Record<string, unknown> {
  const copy = structuredClone(body);
  for (const operation of patch) {
    applyOperation(
      copy,
      'value' in operation
        ? ({ ...operation, value: structuredClone(operation.value) } as Operation)
        : operation,
      true,
      true,
      true,
    );
  }
  return copy;
}
