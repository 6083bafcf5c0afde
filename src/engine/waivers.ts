import { minimatch } from 'minimatch';
import type { Finding, Waiver } from '../model/finding.js';
import type { Notice } from '../model/result.js';

/** A waiver applies through the end of its `expires` day (UTC). */
export function waiverExpired(waiver: Waiver, now: Date): boolean {
  const end = Date.parse(`${waiver.expires}T23:59:59.999Z`);
  return Number.isNaN(end) || end < now.getTime();
}

function waiverMatches(waiver: Waiver, finding: Finding): boolean {
  return (
    minimatch(finding.policyId, waiver.policy) &&
    minimatch(finding.resource.id, waiver.resource, { dot: true }) &&
    (waiver.file === undefined || minimatch(finding.resource.file, waiver.file, { dot: true }))
  );
}

function describeWaiver(waiver: Waiver): string {
  return `${waiver.policy} on ${waiver.resource}${waiver.file ? ` in ${waiver.file}` : ''} (owner ${waiver.owner})`;
}

/**
 * Turn findings covered by a live waiver into `waived` ones (they stay in every report, waiver
 * attached). Expired waivers no longer apply and are named in a warning; waivers that match no
 * finding are listed as stale.
 */
export function applyWaivers(findings: Finding[], waivers: Waiver[], now: Date, notices: Notice[]): void {
  const used = new Set<Waiver>();
  const expiredHits = new Set<Waiver>();
  for (const finding of findings) {
    if (finding.status === 'approved' || finding.status === 'error') continue;
    for (const waiver of waivers) {
      if (!waiverMatches(waiver, finding)) continue;
      if (waiverExpired(waiver, now)) {
        expiredHits.add(waiver);
        continue;
      }
      used.add(waiver);
      finding.status = 'waived';
      finding.waiver = waiver;
      break;
    }
  }
  for (const waiver of waivers) {
    if (waiverExpired(waiver, now)) {
      notices.push({
        level: 'warning',
        code: 'waiver-expired',
        message: `waiver for ${describeWaiver(waiver)} expired on ${waiver.expires}${expiredHits.has(waiver) ? ' and no longer applies' : ''}`,
      });
    } else if (!used.has(waiver)) {
      notices.push({ level: 'warning', code: 'waiver-stale', message: `stale waiver: ${describeWaiver(waiver)} matches no finding` });
    }
  }
}
