import type { Resource } from '../../model/resource.js';
import { selectorMatches } from '../label-selector.js';
import type { EvalContext, Violation } from '../rules/types.js';
import { isRecord, namespaceOf, runResources } from './ecosystem-support.js';
import type { CheckDefinition } from './types.js';

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

/** Whether Velero's resource filter includes PersistentVolumeClaims. */
function includesClaims(template: Record<string, unknown>): boolean {
  const names = ['persistentvolumeclaims', 'persistentvolumeclaim', 'pvc', '*'];
  const included = strings(template.includedResources).map((name) => name.toLowerCase());
  const excluded = strings(template.excludedResources).map((name) => name.toLowerCase());
  if (excluded.some((name) => names.includes(name))) return false;
  return included.length === 0 || included.some((name) => names.includes(name));
}

/** Whether a Schedule backs up the data of a claim in `namespace` with `labels`. */
function covers(schedule: Resource, namespace: string, labels: Record<string, string>): boolean {
  const spec = schedule.body.spec;
  if (!isRecord(spec) || spec.paused === true) return false;
  const template = isRecord(spec.template) ? spec.template : {};
  const included = strings(template.includedNamespaces);
  if (included.length > 0 && !included.includes('*') && !included.includes(namespace)) return false;
  if (strings(template.excludedNamespaces).includes(namespace)) return false;
  if (!includesClaims(template)) return false;
  if (isRecord(template.labelSelector) && !selectorMatches(template.labelSelector, labels)) return false;
  const orSelectors = Array.isArray(template.orLabelSelectors) ? template.orLabelSelectors : [];
  if (orSelectors.length > 0 && !orSelectors.some((selector) => selectorMatches(selector, labels)))
    return false;
  // Without snapshots the claim object is kept but not its data, unless file-system backup is on.
  return template.snapshotVolumes !== false || template.defaultVolumesToFsBackup === true;
}

/** The claims a resource stands for: a PVC itself, or a StatefulSet's volumeClaimTemplates. */
function claims(resource: Resource): Array<{ path: string; name: string; labels: Record<string, string> }> {
  if (resource.kind === 'PersistentVolumeClaim')
    return [{ path: '', name: resource.name, labels: resource.labels }];
  const spec = resource.body.spec;
  const templates =
    isRecord(spec) && Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : [];
  const selector =
    isRecord(spec) && isRecord(spec.selector) && isRecord(spec.selector.matchLabels)
      ? spec.selector.matchLabels
      : {};
  return templates.flatMap((template: unknown, index: number) => {
    if (!isRecord(template)) return [];
    const metadata = isRecord(template.metadata) ? template.metadata : {};
    const labels: Record<string, string> = {};
    for (const source of [selector, isRecord(metadata.labels) ? metadata.labels : {}])
      for (const [key, value] of Object.entries(source)) if (typeof value === 'string') labels[key] = value;
    return [{ path: `/spec/volumeClaimTemplates/${index}`, name: String(metadata.name ?? index), labels }];
  });
}

/**
 * `velero-backup-coverage`: every PersistentVolumeClaim (and StatefulSet claim template) is backed
 * up, data included, by an active Velero Schedule: its namespace included and not excluded,
 * PersistentVolumeClaims among the resources, label selectors matching, and volume snapshots or
 * file-system backup on. Judged when the run holds Velero Schedules (a cluster audit, the platform
 * repository); a run without any has no backup configuration to judge.
 */
export const veleroBackupCoverageCheck: CheckDefinition = {
  name: 'velero-backup-coverage',
  description: 'PersistentVolumeClaims that no active Velero Schedule backs up',
  compile() {
    return {
      scope: 'resource',
      readsRun: true,
      evaluate(resource: Resource, ctx: EvalContext): Violation[] {
        const schedules = runResources(ctx, 'Schedule', 'velero.io');
        if (schedules.length === 0) return [];
        const namespace = namespaceOf(resource);
        return claims(resource)
          .filter((claim) => !schedules.some((schedule) => covers(schedule, namespace, claim.labels)))
          .map((claim) => ({ path: claim.path, values: { claim: claim.name, namespace } }));
      },
    };
  },
};
