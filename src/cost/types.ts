/** Hours in the month parapet prices: 365 × 24 / 12, the convention the cloud price lists use. */
export const HOURS_PER_MONTH = 730;

/** Where a unit price came from, so every figure in a report can be traced to a price list. */
export interface PriceProvenance {
  /** Catalogue file provider (`aws`, `google`, `azurerm`, `kubernetes`). */
  provider: string;
  table: string;
  region: string;
  key: string;
  source: string;
  date: string;
}

/** One priced line of a resource: instance hours, storage, provisioned IOPS, data processed ... */
export interface CostComponent {
  /** What is billed, e.g. `Instance usage (Linux/UNIX, on-demand, m5.large)`. */
  name: string;
  /** The unit of `quantity` and `unitPrice`: hours, GB-month, IOPS-month, GB, ... */
  unit: string;
  /** Which side of the planned change this line prices. */
  phase: 'before' | 'after';
  /** Monthly quantity; null when it depends on usage or on a value unknown until apply. */
  quantity: number | null;
  unitPrice: number | null;
  /** quantity × unitPrice; null when usage-based or unknown. */
  monthly: number | null;
  /** True when the bill depends on usage parapet cannot see; the unit price is listed, never multiplied. */
  usageBased?: boolean;
  unknownReason?: string;
  /** A documented provider default the line relies on (for example the gp3 baseline when IOPS are unknown). */
  assumption?: string;
  price?: PriceProvenance;
}

/**
 * - `priced`: every fixed component has a price.
 * - `free`: the resource type costs nothing by itself (networking objects, IAM, data sources).
 * - `unknown`: a value, region or type is unknown until apply or missing from the catalogue.
 * - `unsupported`: parapet has no estimator for this resource type; it is left out of totals and listed.
 */
export type CostStatus = 'priced' | 'free' | 'unknown' | 'unsupported';

/** `facts.cost` on every resource. Monthly figures are in `currency`, null when unknown. */
export interface CostFact {
  currency: string;
  monthlyBefore: number | null;
  monthlyAfter: number | null;
  delta: number | null;
  components: CostComponent[];
  status: CostStatus;
  unknownReason?: string;
  /** The machine type the resource runs on, for allowlist and previous-generation policies. */
  machine?: MachineInfo;
}

/** A machine type split into family and size: `m5.large` -> m5 / large, `n2-standard-4` -> n2 / standard-4. */
export interface MachineName {
  type: string;
  family: string;
  size: string;
}

/** The machine type of a resource; type, family and size are null when the type is unknown until apply. */
export interface MachineInfo {
  type: string | null;
  family: string | null;
  size: string | null;
  /** JSON pointer of the machine type attribute in the body. */
  path: string;
}

/** The monthly cost of one side of a change (or of a manifest). */
export interface StateEstimate {
  components: CostComponent[];
  /** Set when a fixed component cannot be priced. */
  unknownReason?: string;
  machine?: MachineInfo;
}
