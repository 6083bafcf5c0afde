import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * Writes `chunks` to `file` through a temporary file beside it, renamed over it at the end: a full
 * disk or a kill mid-write leaves the previous file (or none), never a truncated one.
 */
export function writeFileAtomically(file: string, chunks: Iterable<string>): void {
  const absolute = path.resolve(file);
  mkdirSync(path.dirname(absolute), { recursive: true });
  const temporary = path.join(
    path.dirname(absolute),
    `.${path.basename(absolute)}.${process.pid}.${Date.now().toString(36)}.tmp`,
  );
  const fd = openSync(temporary, 'w');
  try {
    let pending = '';
    for (const chunk of chunks) {
      pending += chunk;
      if (pending.length >= 1 << 20) {
        writeSync(fd, pending);
        pending = '';
      }
    }
    if (pending) writeSync(fd, pending);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temporary, absolute);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(temporary, { force: true });
    throw error;
  }
}
