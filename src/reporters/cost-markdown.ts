import { formatMoney, formatUnitPrice } from '../cost/money.js';
import { costReportSpansFiles, type CostReport } from '../cost/report.js';
import { componentQuantity, shownComponents, type CostReporter } from './cost-shared.js';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Markdown cost breakdown for pull request comments. */
export const costMarkdownReporter: CostReporter = {
  name: 'markdown',
  render(report: CostReport): string {
    const money = (value: number | null, signed = false) => formatMoney(value, report.currency, signed);
    const price = (value: number | null) => formatUnitPrice(value, report.currency);
    const lines = ['### 💰 Cost estimate', ''];
    const withFile = costReportSpansFiles(report);
    // The file column only when several inputs are in the report: the same address can be in two.
    const fileHead = withFile ? '| File ' : '';
    const fileRule = withFile ? '| --- ' : '';
    const fileCell = (file: string) => (withFile ? `| \`${cell(file)}\` ` : '');
    const { total, known } = report;
    if (report.unknown.length === 0) {
      lines.push(
        `Monthly cost: ${money(total.monthlyBefore)} → ${money(total.monthlyAfter)}, **${money(total.delta, true)}/month**`,
      );
    } else {
      lines.push(
        `Monthly cost of the priced part: ${money(known.monthlyBefore)} → ${money(known.monthlyAfter)}, **${money(known.delta, true)}/month**; ` +
          `${report.unknown.length} resource(s) with unknown cost (see below).`,
      );
    }
    lines.push(
      '',
      `${fileHead}| Resource | Before | After | Change |`,
      `${fileRule}| --- | ---: | ---: | ---: |`,
    );
    for (const resource of report.resources) {
      lines.push(
        `${fileCell(resource.file)}| \`${cell(resource.id)}\` | ${money(resource.monthlyBefore)} | ${money(resource.monthlyAfter)} | ${money(resource.delta, true)} |`,
      );
    }
    lines.push(
      `${withFile ? '| ' : ''}| **Total** | **${money(total.monthlyBefore)}** | **${money(total.monthlyAfter)}** | **${money(total.delta, true)}** |`,
    );
    if (report.unknown.length > 0) {
      lines.push('', '**Unknown costs**', '');
      for (const entry of report.unknown) {
        const where = withFile ? ` (${cell(entry.file)})` : '';
        lines.push(`- \`${cell(entry.id)}\`${where}: ${cell(entry.reason)}`);
      }
    }
    lines.push(
      '',
      '<details><summary>Breakdown</summary>',
      '',
      `${fileHead}| Resource | Component | Quantity | Monthly |`,
      `${fileRule}| --- | --- | --- | ---: |`,
    );
    for (const resource of report.resources) {
      for (const component of shownComponents(resource)) {
        lines.push(
          `${fileCell(resource.file)}| \`${cell(resource.id)}\` | ${cell(component.name)} | ${cell(componentQuantity(component, price))} | ${component.usageBased ? 'usage-based' : money(component.monthly)} |`,
        );
      }
    }
    lines.push('', '</details>');
    if (report.unsupported.length > 0) {
      lines.push(
        '',
        `Not priced by parapet: ${report.unsupported.map((entry) => `\`${cell(entry.id)}\`${withFile ? ` (${cell(entry.file)})` : ''}`).join(', ')}.`,
      );
    }
    lines.push(
      '',
      `<sub>On-demand list prices in ${report.currency}, 730 hours a month; usage-based charges are listed, not estimated.</sub>`,
      '',
    );
    return lines.join('\n');
  },
};
