import type { PriceCatalogue, PriceLookup } from './catalogue.js';
import { isQuote } from './catalogue.js';
import {
  HOURS_PER_MONTH,
  type CostComponent,
  type MachineInfo,
  type MachineName,
  type StateEstimate,
} from './types.js';

/** A value read from planned values: known (possibly absent), or unknown until apply. */
export type Read<T> = { known: true; value: T | undefined } | { known: false };

function decodeToken(token: string): string {
  return token.includes('~') ? token.replace(/~1/g, '/').replace(/~0/g, '~') : token;
}

// Shared answers for the common reads (absent, unknown): estimators read dozens of pointers per
// resource and most are absent. Never mutated.
const UNKNOWN: Read<never> = Object.freeze({ known: false });
const ABSENT: Read<never> = Object.freeze({ known: true, value: undefined });

const tokenCache = new Map<string, string[]>();

/**
 * The plan adapter shares one unknown-path list among the resources of one shape, so the answers of
 * `isUnknown` are kept per list: estimators ask the same few pointers of thousands of resources.
 */
const answersByUnknownPaths = new WeakMap<readonly string[], Map<string, boolean>>();

/** Decoded tokens of a pointer; estimators read the same few dozen pointers, so they are cached. */
function pointerTokens(pointer: string): string[] {
  let tokens = tokenCache.get(pointer);
  if (!tokens) {
    tokens = pointer.slice(1).split('/').map(decodeToken);
    if (tokenCache.size < 10_000) tokenCache.set(pointer, tokens);
  }
  return tokens;
}

/**
 * One side of a change (before or after) with the pointers that are unknown until apply, read by
 * JSON pointer so that a value below an unknown block is reported unknown instead of absent.
 */
export class StateView {
  /** Answers of `isUnknown` for this view's unknown paths, shared with every view of the same list. */
  private readonly unknownAnswers: Map<string, boolean> | undefined;

  constructor(
    readonly values: Record<string, unknown>,
    readonly unknownPaths: readonly string[] = [],
  ) {
    if (unknownPaths.length > 0) {
      let answers = answersByUnknownPaths.get(unknownPaths);
      if (!answers) answersByUnknownPaths.set(unknownPaths, (answers = new Map()));
      this.unknownAnswers = answers;
    }
  }

  /** True when `pointer` or one of its ancestors is unknown until apply. */
  isUnknown(pointer: string): boolean {
    const answers = this.unknownAnswers;
    if (!answers) return false;
    let answer = answers.get(pointer);
    if (answer === undefined) {
      answer = this.scanUnknown(pointer);
      if (answers.size < 1024) answers.set(pointer, answer);
    }
    return answer;
  }

  private scanUnknown(pointer: string): boolean {
    // A plan marks a handful of paths per resource: a scan beats building an index.
    for (const unknown of this.unknownPaths) {
      if (
        pointer === unknown ||
        unknown === '' ||
        (pointer.startsWith(unknown) && pointer.charCodeAt(unknown.length) === 47)
      )
        return true;
    }
    return false;
  }

  get(pointer: string): Read<unknown> {
    if (this.isUnknown(pointer)) return UNKNOWN;
    let current: unknown = this.values;
    for (const token of pointerTokens(pointer)) {
      if (current === null || typeof current !== 'object') return ABSENT;
      current = (current as Record<string, unknown>)[token];
    }
    return current === null || current === undefined ? ABSENT : { known: true, value: current };
  }

  string(pointer: string): Read<string> {
    const read = this.get(pointer);
    if (!read.known) return read;
    const value = read.value;
    if (typeof value === 'string' && value !== '') return read as Read<string>;
    return ABSENT;
  }

  number(pointer: string): Read<number> {
    const read = this.get(pointer);
    if (!read.known) return read;
    const value = read.value;
    if (typeof value === 'number' && Number.isFinite(value)) return read as Read<number>;
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
      return { known: true, value: Number(value) };
    return ABSENT;
  }

  boolean(pointer: string): Read<boolean> {
    const read = this.get(pointer);
    if (!read.known) return read;
    return typeof read.value === 'boolean' ? (read as Read<boolean>) : ABSENT;
  }

  /** Length of the list at `pointer` (0 when absent); undefined when unknown. */
  length(pointer: string): number | undefined {
    const read = this.get(pointer);
    if (!read.known) return undefined;
    return Array.isArray(read.value) ? read.value.length : 0;
  }
}

/** The attribute name of a pointer, for reasons: `/settings/0/tier` -> `settings.tier`. */
export function attributeName(pointer: string): string {
  return pointer
    .slice(1)
    .split('/')
    .filter((token) => !/^\d+$/.test(token))
    .join('.');
}

// Reasons repeat for every resource of a type: one string per pointer, not one per resource.
const notSetReasons = new Map<string, string>();
const unknownReasons = new Map<string, string>();

/** Why a value is missing, in the words a reviewer expects. */
export function missingReason(pointer: string, read: Read<unknown>): string {
  const reasons = read.known ? notSetReasons : unknownReasons;
  let reason = reasons.get(pointer);
  if (reason === undefined) {
    reason = read.known
      ? `${attributeName(pointer)} is not set in the plan`
      : `${attributeName(pointer)} is unknown until apply`;
    if (reasons.size < 4096) reasons.set(pointer, reason);
  }
  return reason;
}

// Machine facts are never mutated once made: resources of one type at one path share one object
// (a plan runs thousands of instances of a handful of types).
const unknownMachines = new Map<string, MachineInfo>();
const parsedMachines = new WeakMap<(type: string) => MachineName, Map<string, Map<string, MachineInfo>>>();

function unknownMachine(path: string): MachineInfo {
  let machine = unknownMachines.get(path);
  if (!machine) {
    machine = { type: null, family: null, size: null, path };
    if (unknownMachines.size < 1024) unknownMachines.set(path, machine);
  }
  return machine;
}

function parsedMachine(path: string, type: string, parse: (type: string) => MachineName): MachineInfo {
  let byPath = parsedMachines.get(parse);
  if (!byPath) parsedMachines.set(parse, (byPath = new Map()));
  let byType = byPath.get(path);
  if (!byType) byPath.set(path, (byType = new Map()));
  let machine = byType.get(type);
  if (!machine) {
    machine = { ...parse(type), path };
    if (byType.size < 4096) byType.set(type, machine);
  }
  return machine;
}

/** Collects the components of one state; the first fixed component that cannot be priced makes it unknown. */
export class EstimateBuilder {
  readonly components: CostComponent[] = [];
  unknownReason: string | undefined;
  machine: MachineInfo | undefined;

  constructor(
    readonly catalogue: PriceCatalogue,
    readonly phase: 'before' | 'after' = 'after',
  ) {}

  /** Records the machine type read at `path` (the first one wins: node pools of a cluster come later). */
  setMachine(path: string, read: Read<string>, parse: (type: string) => MachineName): void {
    if (this.machine) return;
    if (!read.known) this.machine = unknownMachine(path);
    else if (read.value !== undefined) this.machine = parsedMachine(path, read.value, parse);
  }

  /** A recurring line: `quantity` units a month at the looked-up price (× multiplier for Multi-AZ and the like). */
  fixed(
    name: string,
    unit: string,
    quantity: number,
    lookup: PriceLookup,
    multiplier = 1,
    assumption?: string,
  ): void {
    if (!isQuote(lookup)) {
      this.unknown(name, unit, lookup.reason);
      return;
    }
    const unitPrice = multiplier === 1 ? lookup.price : roundPrice(lookup.price * multiplier);
    const component: CostComponent = {
      name,
      unit,
      phase: this.phase,
      quantity,
      unitPrice,
      monthly: roundMoney(quantity * unitPrice),
      price: lookup.provenance,
    };
    if (assumption !== undefined) component.assumption = assumption;
    this.components.push(component);
  }

  /** `count` of something running all month (instances, nodes, gateways) at an hourly price. */
  hourly(name: string, count: number, lookup: PriceLookup, multiplier = 1): void {
    this.fixed(name, 'hours', count * HOURS_PER_MONTH, lookup, multiplier);
  }

  /** A usage-based line: listed with its unit price, never multiplied by a guessed usage. */
  usage(name: string, unit: string, lookup: PriceLookup): void {
    if (!isQuote(lookup)) {
      this.components.push({
        name,
        unit,
        phase: this.phase,
        quantity: null,
        unitPrice: null,
        monthly: null,
        usageBased: true,
        unknownReason: lookup.reason,
      });
      return;
    }
    this.components.push({
      name,
      unit,
      phase: this.phase,
      quantity: null,
      unitPrice: lookup.price,
      monthly: null,
      usageBased: true,
      price: lookup.provenance,
    });
  }

  /** A fixed line whose quantity or price is unknown: the state's monthly cost becomes unknown. */
  unknown(name: string, unit: string, reason: string): void {
    this.components.push({
      name,
      unit,
      phase: this.phase,
      quantity: null,
      unitPrice: null,
      monthly: null,
      unknownReason: reason,
    });
    this.unknownReason ??= reason;
  }

  /** Marks the whole state unknown without a component (no line could even be named). */
  fail(reason: string): void {
    this.unknownReason ??= reason;
  }

  result(): StateEstimate {
    return { components: this.components, unknownReason: this.unknownReason, machine: this.machine };
  }
}

/** Money is rounded to 1/10,000 of the currency unit so sums stay stable across platforms. */
export function roundMoney(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** Unit prices keep more precision (Lambda bills per GB-second at 0.0000166667). */
export function roundPrice(value: number): number {
  return Math.round(value * 1e10) / 1e10;
}

/** The monthly total of a state's fixed components, or null when one of them is unknown. */
export function stateMonthly(estimate: StateEstimate): number | null {
  if (estimate.unknownReason !== undefined) return null;
  let sum = 0;
  for (const component of estimate.components) if (component.monthly !== null) sum += component.monthly;
  return roundMoney(sum);
}
