import { writeFileSync } from 'node:fs';
import { describeError, ParapetError } from '../model/errors.js';

/** Everything a command touches outside itself, injected so tests run commands in-process. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  stdin: NodeJS.ReadableStream;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  env: NodeJS.ProcessEnv;
}

export function processIO(): CliIO {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stdin: process.stdin,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    env: process.env,
  };
}

/** Write a report to a file, or to stdout when no file is named. */
export function writeReport(io: CliIO, text: string, file: string | undefined): void {
  if (file === undefined || file === '-') {
    io.stdout(text);
    return;
  }
  try {
    writeFileSync(file, text);
  } catch (error) {
    throw new ParapetError('PARAPET_USAGE', `${file}: cannot write report: ${describeError(error)}`, {
      file,
    });
  }
}

/** Colour only on a terminal, never with NO_COLOR (https://no-color.org), always with FORCE_COLOR. */
export function colorEnabled(io: CliIO, toStdout: boolean): boolean {
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return toStdout && io.stdoutIsTTY;
}

/** Commander's collector for repeatable options. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
