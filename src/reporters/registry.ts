import { ParapetError } from '../model/errors.js';
import { jsonReporter } from './json.js';
import { githubReporter } from './github.js';
import { htmlReporter } from './html.js';
import { junitReporter } from './junit.js';
import { markdownReporter } from './markdown.js';
import { policyReportReporter } from './policy-report.js';
import { sarifReporter } from './sarif.js';
import { textReporter } from './text.js';
import type { Reporter } from './types.js';

/** Every output format, selected by name with `--format`. */
export const reporters: Reporter[] = [
  textReporter,
  jsonReporter,
  sarifReporter,
  junitReporter,
  markdownReporter,
  htmlReporter,
  policyReportReporter,
  githubReporter,
];

export function getReporter(name: string): Reporter {
  const reporter = reporters.find((candidate) => candidate.name === name);
  if (!reporter) {
    throw new ParapetError(
      'PARAPET_USAGE',
      `--format: unknown format "${name}" (known: ${reporters.map((r) => r.name).join(', ')})`,
    );
  }
  return reporter;
}

export type { Reporter, ReportOptions } from './types.js';
