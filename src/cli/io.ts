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

/**
 * A write to a stream whose reader has gone (`parapet policies | head -1`) is dropped: the run
 * finishes quietly with its usual exit code instead of dying with an EPIPE stack trace.
 */
function pipeWriter(stream: NodeJS.WriteStream): (text: string) => void {
  let gone = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') gone = true;
    else throw error;
  });
  return (text) => {
    if (gone) return;
    try {
      stream.write(text);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
      gone = true;
    }
  };
}

export function processIO(): CliIO {
  return {
    stdout: pipeWriter(process.stdout),
    stderr: pipeWriter(process.stderr),
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
