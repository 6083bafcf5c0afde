import type { CliIO } from './io.js';

/**
 * A progress bar on stderr for scans that take longer than a second. It only ever draws on an
 * interactive terminal (stderr is a TTY, not CI, not TERM=dumb), so it can never end up in a report,
 * a pipe or a log file; stdout carries only the report.
 */
export interface Progress {
  /** Starts a phase (`loading inputs`, `evaluating`); `total` when the amount of work is known. */
  phase(label: string, total?: number): void;
  /** Reports `done` of `total` units of the current phase. Cheap enough for hot loops. */
  tick(done: number, total: number): void;
  /** Erases the bar; call before writing anything else to stderr and when the scan ends. */
  stop(): void;
}

const noProgress: Progress = { phase() {}, tick() {}, stop() {} };

export interface ProgressOptions {
  /** Nothing is drawn before this many milliseconds (default 1000): quick scans stay silent. */
  delayMs?: number;
  /** Minimum milliseconds between redraws (default 80). */
  intervalMs?: number;
  /** Terminal width (default: `COLUMNS` or 80). */
  columns?: number;
  /** The clock (for tests). */
  now?: () => number;
}

/** Whether a progress bar may be drawn for this process: stderr is an interactive terminal. */
export function progressAllowed(io: CliIO): boolean {
  if (!io.stderrIsTTY) return false;
  const { CI, TERM, PARAPET_NO_PROGRESS } = io.env;
  if (CI !== undefined && CI !== '' && CI !== 'false' && CI !== '0') return false;
  if (TERM === 'dumb') return false;
  return PARAPET_NO_PROGRESS === undefined || PARAPET_NO_PROGRESS === '' || PARAPET_NO_PROGRESS === '0';
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A progress bar on `io.stderr` when allowed, otherwise one that does nothing. */
export function createProgress(io: CliIO, options: ProgressOptions = {}): Progress {
  if (!progressAllowed(io)) return noProgress;
  const now = options.now ?? Date.now;
  const delay = options.delayMs ?? 1000;
  const interval = options.intervalMs ?? 80;
  const columns = Math.max(40, options.columns ?? (Number(io.env.COLUMNS) || 80));
  const started = now();
  let label = '';
  let done = 0;
  let total: number | undefined;
  let lastDraw = 0;
  let drawn = false;
  let frame = 0;
  let stopped = false;

  const draw = (force: boolean) => {
    if (stopped) return;
    const t = now();
    if (t - started < delay) return;
    if (!force && t - lastDraw < interval) return;
    lastDraw = t;
    frame = (frame + 1) % SPINNER.length;
    const seconds = `${((t - started) / 1000).toFixed(1)}s`;
    let line: string;
    if (total && total > 0) {
      const ratio = Math.min(1, done / total);
      const counts = `${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`;
      const tail = ` ${String(Math.floor(ratio * 100)).padStart(3)}% ${label} ${counts} ${seconds}`;
      const width = Math.max(10, Math.min(30, columns - tail.length - 3));
      const filled = Math.round(ratio * width);
      line = `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]${tail}`;
    } else {
      line = `${SPINNER[frame]} ${label} ${seconds}`;
    }
    // \r returns to column 0 and \x1b[K clears what a longer previous line left behind.
    io.stderr(`\r${line.slice(0, columns - 1)}\x1b[K`);
    drawn = true;
  };

  // Keeps the spinner alive while the work is asynchronous (registry lookups, file reads).
  const timer = setInterval(() => draw(false), interval);
  timer.unref();

  return {
    phase(nextLabel, nextTotal) {
      label = nextLabel;
      total = nextTotal;
      done = 0;
      draw(true);
    },
    tick(nextDone, nextTotal) {
      done = nextDone;
      total = nextTotal;
      draw(false);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (drawn) io.stderr('\r\x1b[K');
    },
  };
}
