import type { Result } from '../model/result.js';

export interface ReportOptions {
  /** Colour escapes allowed (text only; the CLI decides from the TTY and NO_COLOR). */
  color?: boolean;
  /** The time the report is stamped with, for formats that record one. */
  now?: Date;
  /** The gate the run used (some formats show it). */
  failOn?: string;
  /** Name and version of the tool, for formats that record them. */
  tool?: { name: string; version: string };
}

/** One output format: a pure function from a Result to the bytes of the report. */
export interface Reporter {
  name: string;
  description: string;
  /** Output is meant for machines (no progress bars or colour around it). */
  machine: boolean;
  render(result: Result, options: ReportOptions): string;
}
