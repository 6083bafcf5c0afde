import { formatMoney, formatUnitPrice } from '../cost/money.js';
import { costReportSpansFiles, type CostReport } from '../cost/report.js';
import { componentQuantity, shownComponents, type CostReporter } from './cost-shared.js';

/** Plain-text cost breakdown for terminals and logs. */
export const costTextReporter: CostReporter = {
  name: 'text',
  render(report: CostReport): string {
    const money = (value: number | null, signed = false) => formatMoney(value, report.currency, signed);
    const price = (value: number | null) => formatUnitPrice(value, report.currency);
    const withFile = costReportSpansFiles(report);
    const fileWidth = withFile
      ? Math.min(50, Math.max(4, ...report.resources.map((resource) => resource.file.length)))
      : 0;
    const idWidth = Math.min(60, Math.max(8, ...report.resources.map((resource) => resource.id.length)));
    const labelWidth = withFile ? fileWidth + 2 + idWidth : idWidth;
    const line = (label: string, before: string, after: string, delta: string) =>
      `${label.padEnd(labelWidth)}  ${before.padStart(12)}  ${after.padStart(12)}  ${delta.padStart(12)}\n`;
    const row = (file: string, id: string, before: string, after: string, delta: string) =>
      line(withFile ? `${file.padEnd(fileWidth)}  ${id}` : id, before, after, delta);
    const located = (entry: { id: string; file: string }) =>
      withFile ? `${entry.file}: ${entry.id}` : entry.id;
    let out = row('FILE', 'RESOURCE', 'BEFORE', 'AFTER', 'CHANGE');
    for (const resource of report.resources) {
      out += row(
        resource.file,
        resource.id,
        money(resource.monthlyBefore),
        money(resource.monthlyAfter),
        money(resource.delta, true),
      );
      for (const component of shownComponents(resource)) {
        const amount = component.usageBased ? '' : `  ${money(component.monthly)}`;
        out += `    ${component.name}: ${componentQuantity(component, price)}${amount}\n`;
      }
      if (resource.unknownReason !== undefined) out += `    unknown: ${resource.unknownReason}\n`;
    }
    out +=
      '\n' +
      line(
        'TOTAL (monthly)',
        money(report.total.monthlyBefore),
        money(report.total.monthlyAfter),
        money(report.total.delta, true),
      );
    if (report.unknown.length > 0) {
      out += `  priced part: ${money(report.known.monthlyBefore)} -> ${money(report.known.monthlyAfter)} (${money(report.known.delta, true)}); ${report.unknown.length} resource(s) with unknown cost\n`;
    }
    if (report.usageBased.length > 0)
      out += `  usage-based charges are listed with their unit price and not included: ${report.usageBased.join(', ')}\n`;
    if (report.unsupported.length > 0) {
      out += `  not priced by parapet: ${report.unsupported.map((entry) => `${located(entry)} (${entry.kind})`).join(', ')}\n`;
    }
    if (report.free > 0) out += `  ${report.free} resource(s) cost nothing by themselves\n`;
    out += `On-demand list prices in ${report.currency}, 730 hours a month.\n`;
    return out;
  },
};
