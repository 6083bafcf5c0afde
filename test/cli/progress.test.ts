import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/io.js';
import { createProgress, progressAllowed } from '../../src/cli/progress.js';

function io(options: { tty: boolean; env?: NodeJS.ProcessEnv }): CliIO & { err: string[] } {
  const err: string[] = [];
  return {
    err,
    stdout: () => undefined,
    stderr: (text) => err.push(text),
    stdin: new PassThrough(),
    stdoutIsTTY: false,
    stderrIsTTY: options.tty,
    env: options.env ?? {},
  };
}

describe('progress bar', () => {
  it('is drawn only on an interactive terminal, never in CI, on a dumb terminal or when disabled', () => {
    expect(progressAllowed(io({ tty: true }))).toBe(true);
    expect(progressAllowed(io({ tty: false }))).toBe(false);
    expect(progressAllowed(io({ tty: true, env: { CI: 'true' } }))).toBe(false);
    expect(progressAllowed(io({ tty: true, env: { CI: 'false' } }))).toBe(true);
    expect(progressAllowed(io({ tty: true, env: { TERM: 'dumb' } }))).toBe(false);
    expect(progressAllowed(io({ tty: true, env: { PARAPET_NO_PROGRESS: '1' } }))).toBe(false);
  });

  it('stays silent for scans shorter than a second', () => {
    let now = 0;
    const terminal = io({ tty: true });
    const progress = createProgress(terminal, { now: () => now });
    progress.phase('evaluating', 1000);
    now = 900;
    progress.tick(900, 1000);
    progress.stop();
    expect(terminal.err).toEqual([]);
  });

  it('draws a bar after a second, throttled, and erases it when done', () => {
    let now = 0;
    const terminal = io({ tty: true, env: { COLUMNS: '100' } });
    const progress = createProgress(terminal, { now: () => now });
    progress.phase('evaluating', 10_000);
    now = 1200;
    progress.tick(2560, 10_000);
    now = 1210;
    progress.tick(2816, 10_000); // within the redraw interval: not drawn
    now = 1500;
    progress.tick(5120, 10_000);
    progress.stop();
    progress.stop();
    expect(terminal.err).toEqual([
      '\r[████████░░░░░░░░░░░░░░░░░░░░░░]  25% evaluating 2,560/10,000 1.2s\x1b[K',
      '\r[███████████████░░░░░░░░░░░░░░░]  51% evaluating 5,120/10,000 1.5s\x1b[K',
      '\r\x1b[K',
    ]);
  });

  it('shows a spinner while the amount of work is unknown', () => {
    let now = 0;
    const terminal = io({ tty: true });
    const progress = createProgress(terminal, { now: () => now });
    now = 2000;
    progress.phase('loading inputs');
    progress.stop();
    expect(terminal.err[0]).toBe('\r⠙ loading inputs 2.0s\x1b[K');
  });
});
