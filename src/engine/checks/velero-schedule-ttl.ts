import { parseDuration } from '../../kyverno/quantity.js';
import type { Resource } from '../../model/resource.js';
import type { Violation } from '../rules/types.js';
import { countOption, isRecord } from './ecosystem-support.js';
import type { CheckDefinition } from './types.js';

const HOUR_NS = 3600e9;

/**
 * `velero-schedule-ttl`: a Velero Schedule states how long its backups are kept (template.ttl, a Go
 * duration) and keeps them at least `minHours`. A missing or zero TTL falls back to the server's
 * default, which the Schedule does not show.
 */
export const veleroScheduleTtlCheck: CheckDefinition = {
  name: 'velero-schedule-ttl',
  description: "Velero Schedules' backup retention (template.ttl)",
  compile(options, policy) {
    const minHours = countOption(policy, options, 'minHours', 24);
    return {
      scope: 'resource',
      evaluate(resource: Resource): Violation[] {
        const apiVersion = resource.body.apiVersion;
        if (typeof apiVersion !== 'string' || !apiVersion.startsWith('velero.io/')) return [];
        const spec = isRecord(resource.body.spec) ? resource.body.spec : undefined;
        const template = spec && isRecord(spec.template) ? spec.template : undefined;
        const ttl = template?.ttl;
        const at = (path: string, problem: string): Violation[] => [{ path, values: { problem } }];
        if (ttl === undefined || ttl === null)
          return at(
            template ? '/spec/template' : spec ? '/spec' : '',
            "sets no template.ttl: its backups are kept for the server's default, which the Schedule does not show",
          );
        const ns = typeof ttl === 'string' ? parseDuration(ttl) : undefined;
        if (ns === undefined || ns < 0)
          return at(
            '/spec/template/ttl',
            `template.ttl ${JSON.stringify(ttl)} is not a Go duration (720h0m0s)`,
          );
        if (ns === 0)
          return at(
            '/spec/template/ttl',
            `template.ttl ${String(ttl)} falls back to the server's default retention`,
          );
        if (ns < minHours * HOUR_NS)
          return at(
            '/spec/template/ttl',
            `template.ttl ${String(ttl)} keeps backups for less than ${minHours} hour${minHours === 1 ? '' : 's'}`,
          );
        return [];
      },
    };
  },
};
