import type { Resource } from '../model/resource.js';
import { monthlyAfterLowerBound } from './estimate.js';
import { roundMoney } from './state.js';
import type { CostComponent, CostFact, CostStatus } from './types.js';

/** One resource line of a cost report. */
export interface CostReportResource {
  id: string;
  kind: string;
  source: string;
  file: string;
  line: number;
  status: CostStatus;
  monthlyBefore: number | null;
  monthlyAfter: number | null;
  delta: number | null;
  unknownReason?: string;
  components: CostComponent[];
}

export interface CostTotals {
  monthlyBefore: number | null;
  monthlyAfter: number | null;
  delta: number | null;
}

/** What `parapet cost` prints and `result.extras.cost` carries. */
export interface CostReport {
  currency: string;
  /** Priced and unknown resources, in input order (file, then position). */
  resources: CostReportResource[];
  /** Sums over every resource; a column is null when one of its resources is unknown. */
  total: CostTotals;
  /** Sums over the resources whose figure is known (the part of `total` that could be priced). */
  known: CostTotals & { afterLowerBound: number };
  unknown: Array<{ id: string; file: string; reason: string }>;
  unsupported: Array<{ id: string; kind: string; file: string }>;
  /** Resources that cost nothing by themselves (networking glue, IAM, configuration objects). */
  free: number;
  /** Resources listing usage-based prices (never multiplied): data processed, requests, storage used. */
  usageBased: string[];
}

function add(total: number | null, value: number | null): number | null {
  return total === null || value === null ? null : total + value;
}

/** Build a cost report from resources whose `facts.cost` the estimator set. */
export function buildCostReport(resources: readonly Resource[], currency: string): CostReport {
  const report: CostReport = {
    currency,
    resources: [],
    total: { monthlyBefore: 0, monthlyAfter: 0, delta: 0 },
    known: { monthlyBefore: 0, monthlyAfter: 0, delta: 0, afterLowerBound: 0 },
    unknown: [],
    unsupported: [],
    free: 0,
    usageBased: [],
  };
  const known = { before: 0, after: 0, delta: 0, lower: 0 };
  // Like resources share one fact (estimate.ts): read each fact's components once.
  const readings = new Map<CostFact, { lower: number; usageBased: boolean }>();
  // Indexed: one call walks every resource of a run (an array iterator allocates per step until
  // the loop is optimised).
  for (let i = 0; i < resources.length; i += 1) {
    const resource = resources[i]!;
    const fact = resource.facts.cost as CostFact | undefined;
    if (!fact) continue;
    if (fact.status === 'free') {
      report.free += 1;
      continue;
    }
    if (fact.status === 'unsupported') {
      report.unsupported.push({ id: resource.id, kind: resource.kind, file: resource.location.file });
      continue;
    }
    const entry: CostReportResource = {
      id: resource.id,
      kind: resource.kind,
      source: resource.source,
      file: resource.location.file,
      line: resource.location.line,
      status: fact.status,
      monthlyBefore: fact.monthlyBefore,
      monthlyAfter: fact.monthlyAfter,
      delta: fact.delta,
      components: fact.components,
    };
    if (fact.unknownReason !== undefined) {
      entry.unknownReason = fact.unknownReason;
      report.unknown.push({ id: resource.id, file: resource.location.file, reason: fact.unknownReason });
    }
    let reading = readings.get(fact);
    if (!reading) {
      reading = {
        lower: monthlyAfterLowerBound(fact),
        usageBased: fact.components.some((component) => component.usageBased),
      };
      readings.set(fact, reading);
    }
    if (reading.usageBased) report.usageBased.push(resource.id);
    report.resources.push(entry);
    report.total.monthlyBefore = add(report.total.monthlyBefore, fact.monthlyBefore);
    report.total.monthlyAfter = add(report.total.monthlyAfter, fact.monthlyAfter);
    report.total.delta = add(report.total.delta, fact.delta);
    known.before += fact.monthlyBefore ?? 0;
    known.after += fact.monthlyAfter ?? 0;
    known.delta += fact.delta ?? 0;
    known.lower += reading.lower;
  }
  const round = (value: number | null) => (value === null ? null : roundMoney(value));
  report.total = {
    monthlyBefore: round(report.total.monthlyBefore),
    monthlyAfter: round(report.total.monthlyAfter),
    delta: round(report.total.delta),
  };
  report.known = {
    monthlyBefore: roundMoney(known.before),
    monthlyAfter: roundMoney(known.after),
    delta: roundMoney(known.delta),
    afterLowerBound: roundMoney(known.lower),
  };
  return report;
}

/**
 * Whether the report covers more than one input file: then the same address can appear twice
 * (two plans both creating `aws_instance.web`) and the reporters show the file beside it.
 */
export function costReportSpansFiles(report: CostReport): boolean {
  const files = new Set<string>();
  for (const entry of [...report.resources, ...report.unsupported]) files.add(entry.file);
  return files.size > 1;
}
