import { parseDuration } from '../../kyverno/quantity.js';
import type { Resource } from '../../model/resource.js';
import type { Violation } from '../rules/types.js';
import { countOption, isRecord } from './ecosystem-support.js';
import type { CheckDefinition } from './types.js';

const HOUR_NS = 3600e9;
const DAY_NS = 24 * HOUR_NS;
/** cert-manager's defaults: 90 days, renewed when a third is left. */
const DEFAULT_DURATION_NS = 2160 * HOUR_NS;

/** `2160h` as days (`90 days`), or hours when shorter than a day. */
function shown(ns: number): string {
  const [amount, unit] = ns >= DAY_NS ? [ns / DAY_NS, 'day'] : [ns / HOUR_NS, 'hour'];
  const rounded = Math.round(amount * 10) / 10;
  return `${rounded} ${unit}${rounded === 1 ? '' : 's'}`;
}

/**
 * `cert-manager-certificate-renewal`: a cert-manager Certificate's lifetime and renewal window, as
 * cert-manager computes them (duration 2160h by default; renewal when `renewBefore` is left, or
 * `renewBeforePercentage` of the duration, or a third of it by default). Fails a duration above
 * `maxDurationDays` (CA certificates excepted), a window not shorter than the duration (cert-manager would renew without end),
 * and a window shorter than both `minRenewBeforeDays` and a third of the duration (too little time
 * to notice and fix a failing issuer).
 */
export const certManagerCertificateRenewalCheck: CheckDefinition = {
  name: 'cert-manager-certificate-renewal',
  description: "cert-manager Certificates' duration and renewal window",
  compile(options, policy) {
    const maxDurationNs = countOption(policy, options, 'maxDurationDays', 397) * DAY_NS;
    const minRenewBeforeNs = countOption(policy, options, 'minRenewBeforeDays', 7) * DAY_NS;
    return {
      scope: 'resource',
      evaluate(resource: Resource): Violation[] {
        const spec = resource.body.spec;
        if (!isRecord(spec)) return [];
        const out: Violation[] = [];
        const problem = (path: string, text: string) => out.push({ path, values: { problem: text } });
        let duration = DEFAULT_DURATION_NS;
        if (typeof spec.duration === 'string') {
          const parsed = parseDuration(spec.duration);
          if (parsed === undefined || parsed <= 0) {
            problem(
              '/spec/duration',
              `duration "${spec.duration}" is not a positive Go duration (2160h, 720h0m0s)`,
            );
            return out;
          }
          duration = parsed;
        }
        // The lifetime limit is a leaf certificate's (what clients accept from a public CA); a CA
        // certificate (`isCA: true`) is a trust anchor meant to outlive the leaves it signs.
        if (duration > maxDurationNs && spec.isCA !== true)
          problem(
            '/spec/duration',
            `duration ${spec.duration as string} (${shown(duration)}) is longer than ${shown(maxDurationNs)}`,
          );
        let window = duration / 3;
        let windowPath = '/spec/duration';
        let windowText = 'a third of the duration';
        if (typeof spec.renewBefore === 'string') {
          const parsed = parseDuration(spec.renewBefore);
          if (parsed === undefined || parsed <= 0) {
            problem('/spec/renewBefore', `renewBefore "${spec.renewBefore}" is not a positive Go duration`);
            return out;
          }
          window = parsed;
          windowPath = '/spec/renewBefore';
          windowText = `renewBefore ${spec.renewBefore}`;
        } else if (typeof spec.renewBeforePercentage === 'number') {
          window = (duration * spec.renewBeforePercentage) / 100;
          windowPath = '/spec/renewBeforePercentage';
          windowText = `renewBeforePercentage ${spec.renewBeforePercentage}`;
        }
        if (window >= duration)
          problem(
            windowPath,
            `${windowText} (${shown(window)}) is not shorter than the duration (${shown(duration)})`,
          );
        else if (window < Math.min(minRenewBeforeNs, duration / 3))
          problem(
            windowPath,
            `${windowText} leaves ${shown(window)} to renew (at least ${shown(Math.min(minRenewBeforeNs, duration / 3))})`,
          );
        return out;
      },
    };
  },
};
