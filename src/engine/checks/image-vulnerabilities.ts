import { imageFactsOf } from '../../images/image-resource.js';
import { vulnerabilitySeverities, type VulnerabilitySeverity } from '../../images/vulnerabilities.js';
import type { Violation } from '../rules/types.js';
import type { CheckDefinition } from './types.js';

/**
 * `image-vulnerabilities`: at most `max` vulnerabilities at or above `severity` (only those with a
 * fix when `fixAvailable`), ignoring the ids in `ignore`. One finding per image, listing the ids.
 */
export const imageVulnerabilitiesCheck: CheckDefinition = {
  name: 'image-vulnerabilities',
  description: 'fails when an image has more vulnerabilities at or above a severity than allowed',
  compile(options) {
    const severity = (vulnerabilitySeverities as readonly string[]).includes(String(options.severity))
      ? (options.severity as VulnerabilitySeverity)
      : 'critical';
    const threshold = vulnerabilitySeverities.indexOf(severity);
    const fixAvailable = options.fixAvailable !== false;
    const max = typeof options.max === 'number' ? options.max : 0;
    const ignore = new Set(Array.isArray(options.ignore) ? options.ignore.map(String) : []);
    return {
      scope: 'resource',
      evaluate(resource): Violation[] {
        const vulnerabilities = imageFactsOf(resource)?.vulnerabilities;
        if (!vulnerabilities) return [];
        const counted = vulnerabilities.items.filter(
          (item) =>
            vulnerabilitySeverities.indexOf(item.severity) <= threshold &&
            (!fixAvailable || item.fixAvailable) &&
            !ignore.has(item.id) &&
            !item.aliases.some((alias) => ignore.has(alias)),
        );
        if (counted.length <= max) return [];
        const ids = [...new Set(counted.map((item) => item.id))];
        const shown = ids.slice(0, 5).join(', ') + (ids.length > 5 ? ` and ${ids.length - 5} more` : '');
        return [
          {
            path: '',
            values: { count: counted.length, ids: shown, severity },
            details: {
              vulnerabilities: counted.map(
                ({ id, severity: level, package: pkg, installedVersion, fixedVersion }) => ({
                  id,
                  severity: level,
                  package: pkg,
                  installedVersion,
                  fixedVersion,
                }),
              ),
            },
          },
        ];
      },
    };
  },
};
