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
  /** Policies whose fix was left out, and why (`it does not apply at /spec/...`). */
  skipped: Array<{ policyId: string; reason: string }>;
}

type Target = 'body' | 'podSpec' | 'containers' | 'resource';

function ruleTarget(policy: Policy): Target | undefined {
  const rule = policy.rule as { schema?: { target?: Target }; check?: { target?: Target } };
  if (rule.schema) return rule.schema.target ?? 'body';
  if (rule.check) return rule.check.target ?? 'body';
  // Fixes of non-schema rules are written against the body.
  return 'body';
}

function isUnder(pointer: string, base: string): boolean {
  return pointer === base || (pointer.startsWith(base) && pointer.charAt(base.length) === '/');
}

/** Containers by their path, to find the one a finding's path points into without a scan per finding. */
function containerIndex(resource: Resource): Map<string, ContainerFact> {
  return new Map((resource.facts.containers ?? []).map((fact) => [fact.path, fact]));
}

/** The container a finding's path points into (the longest container path it starts with). */
function containerOf(index: ReadonlyMap<string, ContainerFact>, path: string): ContainerFact | undefined {
  for (let end = path.length; end > 0; end = path.lastIndexOf('/', end - 1)) {
    const fact = index.get(path.slice(0, end));
    if (fact) return fact;
  }
  return undefined;
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

/** Keys a patch may never write: they reach an object's prototype. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Applies one operation to `document` in place and pushes its inverse onto `undo`; false (and
 * `document` unchanged) when it does not apply. A fix is several operations that apply together or
 * not at all: undoing a failed one costs what it changed, where a trial copy per fix would cost the
 * whole object each time (quadratic in the containers).
 */
function applyJournaled(document: Record<string, unknown>, op: Operation, undo: Array<() => void>): boolean {
  const locate = (
    pointer: string,
  ): { parent: Record<string, unknown> | unknown[]; key: string } | undefined => {
    const tokens = pointerTokens(pointer);
    if (tokens.length === 0 || tokens.some((t) => FORBIDDEN_KEYS.has(t))) return undefined;
    const parent = getAtPointer(
      document,
      tokens.length === 1 ? '' : `/${tokens.slice(0, -1).map(escapePointerToken).join('/')}`,
    );
    return isContainer(parent) ? { parent, key: tokens[tokens.length - 1]! } : undefined;
  };
  const index = (array: unknown[], key: string, forInsert: boolean): number | undefined => {
    if (key === '-' && forInsert) return array.length;
    if (!/^(0|[1-9]\d*)$/.test(key)) return undefined;
    const i = Number(key);
    return i < array.length || (forInsert && i === array.length) ? i : undefined;
  };
  const put = (pointer: string, value: unknown, insert: boolean): boolean => {
    const at = locate(pointer);
    if (!at) return false;
    const { parent, key } = at;
    if (Array.isArray(parent)) {
      const i = index(parent, key, insert);
      if (i === undefined) return false;
      if (insert) {
        parent.splice(i, 0, value);
        undo.push(() => parent.splice(i, 1));
      } else {
        const old = parent[i];
        parent[i] = value;
        undo.push(() => (parent[i] = old));
      }
      return true;
    }
    const had = Object.prototype.hasOwnProperty.call(parent, key);
    if (!insert && !had) return false;
    const old = parent[key];
    parent[key] = value;
    undo.push(() => {
      if (had) parent[key] = old;
      else delete parent[key];
    });
    return true;
  };
  const take = (pointer: string): { ok: boolean; value?: unknown } => {
    const at = locate(pointer);
    if (!at) return { ok: false };
    const { parent, key } = at;
    if (Array.isArray(parent)) {
      const i = index(parent, key, false);
      if (i === undefined) return { ok: false };
      const [value] = parent.splice(i, 1);
      undo.push(() => parent.splice(i, 0, value));
      return { ok: true, value };
    }
    if (!Object.prototype.hasOwnProperty.call(parent, key)) return { ok: false };
    const value = parent[key];
    delete parent[key];
    undo.push(() => (parent[key] = value));
    return { ok: true, value };
  };
  switch (op.op) {
    case 'add':
      return put(op.path, structuredClone(op.value), true);
    case 'replace':
      return put(op.path, structuredClone(op.value), false);
    case 'remove':
      return take(op.path).ok;
    case 'test':
      return JSON.stringify(getAtPointer(document, op.path)) === JSON.stringify(op.value);
    case 'copy': {
      const value = getAtPointer(document, op.from);
      return value !== undefined && put(op.path, structuredClone(value), true);
    }
    case 'move': {
      if (isUnder(op.path, op.from) && op.path !== op.from) return false;
      const taken = take(op.from);
      return taken.ok && put(op.path, taken.value, true);
    }
    default:
      return false;
  }
}

/**
 * Emits `add` operations for every missing parent of `pointer` in `document` (objects, or arrays
 * where the next token is an index or `-`), applying them to `document` as it goes.
 */
function createParents(
  document: Record<string, unknown>,
  pointer: string,
  out: Operation[],
  undo: Array<() => void>,
): boolean {
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
      const op: Operation = { op: 'add', path, value: next === '-' || /^\d+$/.test(next) ? [] : {} };
      if (!applyJournaled(document, op, undo)) return false;
      out.push(op);
      child = (current as Record<string, unknown>)[token];
    }
    current = child;
  }
  return isContainer(current);
}

/** Rebases one fix operation, applies it and appends what it takes; false when it cannot apply. */
function placeOperation(
  document: Record<string, unknown>,
  raw: Record<string, unknown>,
  map: (p: string) => string | undefined,
  out: Operation[],
  undo: Array<() => void>,
): boolean {
  const op = String(raw.op);
  const path = typeof raw.path === 'string' ? map(raw.path) : undefined;
  if (path === undefined) return false;
  const from = typeof raw.from === 'string' ? map(raw.from) : undefined;
  let operation: Operation;
  switch (op) {
    case 'add':
    case 'replace': {
      if (!createParents(document, path, out, undo)) return false;
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
      if (!createParents(document, path, out, undo)) return false;
      operation = { op, from, path } as Operation;
      break;
    default:
      return false;
  }
  if (!applyJournaled(document, operation, undo)) return false;
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
  options: { exclude?: ReadonlySet<string> } = {},
): MutationPlan {
  const plan: MutationPlan = { patch: [], policies: [], skipped: [] };
  if (mutate.length === 0) return plan;
  const matchers = mutate.map((glob) => new Minimatch(glob, { dot: true }));
  const mutating = new Map<string, boolean>();
  const applied = new Set<string>();
  const containers = containerIndex(resource);
  // One working copy: each fix sees the previous ones, so parents are created once.
  let document: Record<string, unknown> | undefined;
  const done = new Set<string>();
  for (const finding of findings) {
    // Waived and approved findings are accepted exceptions: they are left as they are.
    if (finding.status !== 'fail' && finding.status !== 'warn' && finding.status !== 'audit') continue;
    const policy = policies.get(finding.policyId);
    if (!policy?.fix?.length || options.exclude?.has(policy.id)) continue;
    let matches = mutating.get(policy.id);
    if (matches === undefined) {
      matches = matchers.some((m) => m.match(policy.id));
      mutating.set(policy.id, matches);
    }
    if (!matches) continue;
    const target = ruleTarget(policy);
    if (!target) continue;
    const container = target === 'containers' ? containerOf(containers, finding.path) : undefined;
    const instance = `${policy.id}\0${container?.path ?? ''}`;
    if (done.has(instance)) continue;
    done.add(instance);
    document ??= structuredClone(resource.body);
    const ops: Operation[] = [];
    const undo: Array<() => void> = [];
    const placed = policy.fix.every((raw) =>
      placeOperation(document!, raw, (p) => rebase(p, target, resource, container), ops, undo),
    );
    if (!placed) {
      for (let i = undo.length - 1; i >= 0; i -= 1) undo[i]!();
      plan.skipped.push({
        policyId: policy.id,
        reason: `it does not apply at ${finding.path || '/'}`,
      });
      continue;
    }
    for (const op of ops) plan.patch.push(op);
    if (!applied.has(policy.id)) {
      applied.add(policy.id);
      plan.policies.push(policy.id);
    }
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
