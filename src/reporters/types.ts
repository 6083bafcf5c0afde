import type { Result } from '../model/result.js';

export { PIECE_CHARS } from '../model/atomic-write.js';

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
  /**
   * The report as a lazy sequence of pieces that join to the whole report: a run with a million
   * findings is written piece by piece and never held as one string (V8 caps strings at 512 MiB).
   */
  chunks(result: Result, options: ReportOptions): Iterable<string>;
  /** The whole report as one string (`chunks` joined), for small results and tests. */
  render(result: Result, options: ReportOptions): string;
}

/** A reporter from its `chunks`; `render` joins them. */
export function defineReporter(reporter: Omit<Reporter, 'render'>): Reporter {
  return {
    ...reporter,
    render(result, options) {
      let text = '';
      for (const chunk of reporter.chunks(result, options)) text += chunk;
      return text;
    },
  };
}
