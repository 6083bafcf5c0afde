import { escape, Minimatch } from 'minimatch';
import type { Finding, Waiver } from '../model/finding.js';
import type { Resource } from '../model/resource.js';
import type { Notice } from '../model/result.js';

/**
 * Waivers accept a known risk for a while without turning a policy off for everyone. A waived
 * finding keeps its place in every report with status `waived` and the waiver beside it. An expired
 * waiver no longer applies and is named in a warning; a waiver that matches nothing is listed as
 * stale so the configuration does not collect dead suppressions.
 */

/** The annotation that waives policies on one Kubernetes object: `"<policy glob>: <reason>"`, one per line. */
export const waiveAnnotation = 'parapet.dev/waive';
/** Optional companions of the waive annotation. */
export const waiveOwnerAnnotation = 'parapet.dev/waive-owner';
export const waiveExpiresAnnotation = 'parapet.dev/waive-expires';

/** Waivers expiring within this many days get an info notice, so owners renew or fix in time. */
const EXPIRING_SOON_DAYS = 14;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface WaiverOptions {
  /** The resources the findings are about (annotation waivers are read from them). */
  resources?: readonly Resource[];
  /** Whether `parapet.dev/waive` annotations are honoured (configuration `annotationWaivers`). */
  allowAnnotations?: boolean;
  /** The annotations, already gathered while the resources passed (instead of `resources`). */
  annotations?: WaiverAnnotations;
}

/**
 * What a run's Kubernetes objects say about waivers, gathered as the objects pass: the engine does
 * not keep every resource to the end of a run. Honoured annotations become waivers; when they are
 * not allowed, the objects carrying one are counted for a warning.
 */
export class WaiverAnnotations {
  readonly waivers: Waiver[] = [];
  /** Warnings about malformed annotations, in the order their objects came. */
  readonly notices: Notice[] = [];
  private ignored = 0;
  private firstIgnored: { id: string; file: string } | undefined;

  constructor(private readonly allow: boolean) {}

  add(resources: readonly Resource[]): void {
    if (this.allow) {
      const found = annotationWaivers(resources, this.notices);
      for (let i = 0; i < found.length; i += 1) this.waivers.push(found[i]!);
      return;
    }
    for (let i = 0; i < resources.length; i += 1) {
      const resource = resources[i]!;
      if (resource.source !== 'kubernetes') continue;
      const metadata = resource.body.metadata as { annotations?: Record<string, unknown> } | undefined;
      if (metadata?.annotations?.[waiveAnnotation] === undefined) continue;
      this.ignored += 1;
      this.firstIgnored ??= { id: resource.id, file: resource.location.file };
    }
  }

  /** The warnings to give: malformed annotations, or annotations present but not honoured. */
  report(notices: Notice[]): void {
    notices.push(...this.notices);
    const first = this.firstIgnored;
    if (!first) return;
    const n = this.ignored;
    notices.push({
      level: 'warning',
      code: 'waiver-annotation-ignored',
      message: `${n} object${n === 1 ? '' : 's'} carr${n === 1 ? 'ies' : 'y'} a ${waiveAnnotation} annotation (first: ${first.id}), ignored: set annotationWaivers: true in parapet.yaml to honour them`,
      file: first.file,
    });
  }
}

/** Last instant a waiver applies: the end of its `expires` day, UTC. Undefined for no expiry. */
function waiverEnd(waiver: Waiver): number | undefined {
  if (waiver.expires === '' && waiver.origin === 'annotation') return undefined;
  return Date.parse(`${waiver.expires}T23:59:59.999Z`);
}

/** A waiver applies through the end of its `expires` day (UTC); an unreadable date counts as expired. */
export function waiverExpired(waiver: Waiver, now: Date): boolean {
  const end = waiverEnd(waiver);
  if (end === undefined) return false;
  return Number.isNaN(end) || end < now.getTime();
}

/** `pss-baseline-* on DaemonSet/monitoring/* in k8s/** (owner team-observability, parapet.yaml)`. */
export function describeWaiver(waiver: Waiver): string {
  const where = waiver.file ? ` in ${waiver.file}` : '';
  const origin = waiver.origin ? `, ${waiver.origin}` : '';
  return `${waiver.policy} on ${waiver.resource}${where} (owner ${waiver.owner}${origin})`;
}

interface CompiledWaiver {
  waiver: Waiver;
  policy: Minimatch;
  resource: Minimatch;
  file?: Minimatch;
  expired: boolean;
  used: boolean;
  expiredHit: boolean;
}

function normalizeFile(file: string): string {
  return file.replace(/\\/g, '/').replace(/^\.\//, '');
}

function compileWaiver(waiver: Waiver, now: Date): CompiledWaiver {
  const options = { dot: true, nocomment: true, nonegate: true };
  return {
    waiver,
    policy: new Minimatch(waiver.policy, options),
    resource: new Minimatch(waiver.resource, options),
    file: waiver.file === undefined ? undefined : new Minimatch(normalizeFile(waiver.file), options),
    expired: waiverExpired(waiver, now),
    used: false,
    expiredHit: false,
  };
}

function matches(compiled: CompiledWaiver, finding: Finding): boolean {
  return (
    compiled.policy.match(finding.policyId) &&
    compiled.resource.match(finding.resource.id) &&
    (compiled.file === undefined || compiled.file.match(normalizeFile(finding.resource.file)))
  );
}

/**
 * Reads `parapet.dev/waive` annotations of Kubernetes objects as waivers scoped to that object.
 * Malformed lines are reported as warnings naming the object and skipped.
 */
export function annotationWaivers(resources: readonly Resource[], notices: Notice[]): Waiver[] {
  const waivers: Waiver[] = [];
  for (const resource of resources) {
    if (resource.source !== 'kubernetes') continue;
    const metadata = resource.body.metadata as { annotations?: Record<string, unknown> } | undefined;
    const annotations = metadata?.annotations;
    const value = annotations?.[waiveAnnotation];
    if (value === undefined) continue;
    const where = `${resource.location.file}:${resource.location.line}`;
    if (typeof value !== 'string') {
      notices.push({
        level: 'warning',
        code: 'waiver-annotation-invalid',
        message: `${where}: ${resource.id}: annotation ${waiveAnnotation} must be a string "<policy>: <reason>"`,
        file: resource.location.file,
      });
      continue;
    }
    const owner =
      typeof annotations?.[waiveOwnerAnnotation] === 'string'
        ? (annotations[waiveOwnerAnnotation] as string)
        : '';
    const expires =
      typeof annotations?.[waiveExpiresAnnotation] === 'string'
        ? (annotations[waiveExpiresAnnotation] as string)
        : '';
    if (expires !== '' && !/^\d{4}-\d{2}-\d{2}$/.test(expires)) {
      notices.push({
        level: 'warning',
        code: 'waiver-annotation-invalid',
        message: `${where}: ${resource.id}: annotation ${waiveExpiresAnnotation} must be a date written YYYY-MM-DD, got "${expires}"; its waivers count as expired`,
        file: resource.location.file,
      });
    }
    for (const line of value
      .split('\n')
      .map((entry) => entry.trim())
      .filter(Boolean)) {
      const colon = line.indexOf(':');
      const policy = colon < 0 ? '' : line.slice(0, colon).trim();
      const reason = colon < 0 ? '' : line.slice(colon + 1).trim();
      if (!policy || !reason) {
        notices.push({
          level: 'warning',
          code: 'waiver-annotation-invalid',
          message: `${where}: ${resource.id}: annotation ${waiveAnnotation} line "${line}" is not "<policy>: <reason>"; ignored`,
          file: resource.location.file,
        });
        continue;
      }
      waivers.push({
        policy,
        // The annotation can only waive findings on the object that carries it.
        resource: escape(resource.id),
        reason,
        owner: owner || 'unowned',
        expires,
        origin: 'annotation',
      });
    }
  }
  return waivers;
}

/**
 * Turns findings covered by a live waiver into `waived` ones, in place. Configuration waivers are
 * tried first, then annotation waivers when allowed. Adds notices for expired, stale and
 * soon-expiring waivers, and for annotations present while annotation waivers are not allowed.
 */
export function applyWaivers(
  findings: Finding[],
  waivers: readonly Waiver[],
  now: Date,
  notices: Notice[],
  options: WaiverOptions = {},
): void {
  let annotations = options.annotations;
  if (!annotations && options.resources) {
    annotations = new WaiverAnnotations(options.allowAnnotations ?? false);
    annotations.add(options.resources);
  }
  annotations?.report(notices);
  const all = annotations ? [...waivers, ...annotations.waivers] : [...waivers];
  if (all.length === 0) return;
  const compiled = all.map((waiver) => compileWaiver(waiver, now));
  for (const finding of findings) {
    if (finding.status === 'approved' || finding.status === 'error' || finding.status === 'waived') continue;
    for (const candidate of compiled) {
      if (!matches(candidate, finding)) continue;
      if (candidate.expired) {
        candidate.expiredHit = true;
        continue;
      }
      candidate.used = true;
      finding.status = 'waived';
      finding.waiver = candidate.waiver;
      break;
    }
  }
  for (const candidate of compiled) {
    const { waiver } = candidate;
    const file = waiver.origin && waiver.origin !== 'annotation' ? waiver.origin : undefined;
    if (candidate.expired) {
      notices.push({
        level: 'warning',
        code: 'waiver-expired',
        message: `waiver for ${describeWaiver(waiver)} expired on ${waiver.expires || '(unreadable date)'}${candidate.expiredHit ? ' and no longer applies: its findings count again' : '; remove it'}`,
        ...(file ? { file } : {}),
      });
    } else if (!candidate.used) {
      notices.push({
        level: 'warning',
        code: 'waiver-stale',
        message: `stale waiver: ${describeWaiver(waiver)} matches no finding; remove it`,
        ...(file ? { file } : {}),
      });
    } else {
      const end = waiverEnd(waiver);
      if (end !== undefined && end - now.getTime() < EXPIRING_SOON_DAYS * DAY_MS) {
        const days = Math.max(0, Math.floor((end - now.getTime()) / DAY_MS));
        notices.push({
          level: 'info',
          code: 'waiver-expiring',
          message: `waiver for ${describeWaiver(waiver)} expires on ${waiver.expires} (${days === 0 ? 'today' : `in ${days} day${days === 1 ? '' : 's'}`})`,
          ...(file ? { file } : {}),
        });
      }
    }
  }
}
