import type { CostReport, CostReportResource } from '../cost/report.js';
import type { CostComponent } from '../cost/types.js';

/** A renderer of `parapet cost` reports (a different input from the finding reporters). */
export interface CostReporter {
  name: string;
  render(report: CostReport): string;
}

/** The side of a resource a breakdown shows: what the change leaves (or, for a delete, what it removes). */
export function shownComponents(resource: CostReportResource): CostComponent[] {
  const deleted =
    resource.monthlyAfter === 0 && resource.components.every((component) => component.phase === 'before');
  return resource.components.filter((component) => component.phase === (deleted ? 'before' : 'after'));
}

/** `730 hours × $0.096` style quantity text, or the usage-based unit price. */
export function componentQuantity(component: CostComponent, price: (value: number | null) => string): string {
  if (component.usageBased) {
    return component.unitPrice === null
      ? `usage-based, no price: ${component.unknownReason ?? ''}`
      : `${price(component.unitPrice)} per ${component.unit} (usage-based)`;
  }
  if (component.quantity === null || component.unitPrice === null)
    return `unknown: ${component.unknownReason ?? 'no price'}`;
  const quantity = Math.round(component.quantity * 1000) / 1000;
  const text = `${quantity.toLocaleString('en-US')} ${component.unit} × ${price(component.unitPrice)}`;
  return component.assumption === undefined ? text : `${text} (${component.assumption})`;
}
