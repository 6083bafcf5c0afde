import type { CostReport } from '../cost/report.js';
import type { CostReporter } from './cost-shared.js';

/** The cost report as JSON: `{ currency, resources: [{ id, monthlyBefore, monthlyAfter, delta, components }], total, ... }`. */
export const costJsonReporter: CostReporter = {
  name: 'json',
  render(report: CostReport): string {
    return JSON.stringify(report, null, 2) + '\n';
  },
};
