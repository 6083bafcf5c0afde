import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * The size in characters that report pieces and write buffers stay about (and under twice of).
 * Strings above V8's regular object size (128 KiB) are large objects, which only a full collection
 * frees: a million-finding report written in megabyte pieces grew the heap by a gigabyte of dead
 * pieces before one ran. 32K characters stay under that size even as two-byte strings.
 */
export const PIECE_CHARS = 1 << 15;

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
      if (pending.length >= PIECE_CHARS) {
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
