import { PIECE_CHARS, writeFileAtomically } from '../model/atomic-write.js';
import path from 'node:path';
import { describeError, ParapetError } from '../model/errors.js';
import type { Result } from '../model/result.js';
import { getReporter, type Reporter, type ReportOptions } from '../reporters/registry.js';
import type { Command } from 'commander';
import { collect, colorEnabled, type CliIO } from './io.js';

/** The report options `check` and `audit` share: formats, output, baselines and the gate. */
export function addReportOptions(command: Command): Command {
  return command
    .option(
      '-f, --format <format>',
      'report format (text, json, sarif, junit, markdown, html, policy-report, github); FORMAT=FILE writes to a file (repeatable)',
      collect,
      [],
    )
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option(
      '--baseline <file>',
      'findings recorded in this baseline are reported as known and do not fail the run',
    )
    .option('--write-baseline <file>', 'record the current findings as the baseline in this file')
    .option('--fail-on <severity>', 'failing findings at or above this severity fail the run (default: any)');
}

/** One report to produce: a format and where it goes (`undefined`: stdout). */
export interface OutputTarget {
  reporter: Reporter;
  file?: string;
}

/**
 * Parses repeatable `--format FORMAT` / `--format FORMAT=FILE` values. One bare format goes to
 * `--output` or stdout; `FORMAT=FILE` entries go to their files. Without a bare format the text
 * report still goes to stdout (or `--output`), so CI logs show the findings.
 */
export function parseOutputTargets(formats: string[], output: string | undefined): OutputTarget[] {
  const targets: OutputTarget[] = [];
  let bare: string | undefined;
  for (const spec of formats) {
    const equals = spec.indexOf('=');
    if (equals < 0) {
      if (bare !== undefined) {
        throw new ParapetError(
          'PARAPET_USAGE',
          `--format: only one format can go to ${output ?? 'stdout'} ("${bare}" and "${spec}"); write the others to files with --format ${spec}=FILE`,
        );
      }
      bare = spec;
      continue;
    }
    const name = spec.slice(0, equals);
    const file = spec.slice(equals + 1);
    if (!name || !file)
      throw new ParapetError('PARAPET_USAGE', `--format: "${spec}" is not FORMAT or FORMAT=FILE`);
    targets.push({ reporter: getReporter(name), file });
  }
  targets.unshift({ reporter: getReporter(bare ?? 'text'), file: output === '-' ? undefined : output });
  const seen = new Map<string, string>();
  for (const target of targets) {
    if (target.file === undefined) continue;
    const key = path.resolve(target.file);
    const previous = seen.get(key);
    if (previous !== undefined) {
      throw new ParapetError(
        'PARAPET_USAGE',
        `--format: ${target.file} is the output of both ${previous} and ${target.reporter.name}`,
      );
    }
    seen.set(key, target.reporter.name);
  }
  return targets;
}

/** Writes `chunks` to standard output in pieces of about `PIECE_CHARS`. */
function writeToStdout(io: CliIO, chunks: Iterable<string>): void {
  let pending = '';
  for (const chunk of chunks) {
    pending += chunk;
    if (pending.length >= PIECE_CHARS) {
      io.stdout(pending);
      pending = '';
    }
  }
  if (pending) io.stdout(pending);
}

/** Renders every target and writes it; files get their parent directories created. */
export function writeOutputs(
  io: CliIO,
  result: Result,
  targets: OutputTarget[],
  options: ReportOptions,
): void {
  for (const target of targets) {
    const color = target.reporter.name === 'text' && colorEnabled(io, target.file === undefined);
    const chunks = target.reporter.chunks(result, { ...options, color });
    if (target.file === undefined) {
      writeToStdout(io, chunks);
      continue;
    }
    try {
      writeFileAtomically(target.file, chunks);
    } catch (error) {
      throw new ParapetError(
        'PARAPET_USAGE',
        `${target.file}: cannot write ${target.reporter.name} report: ${describeError(error)}`,
        {
          file: target.file,
        },
      );
    }
  }
}
