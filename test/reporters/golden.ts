import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { ReportOptions } from '../../src/reporters/types.js';

export const goldenDir = path.resolve(import.meta.dirname, '../../fixtures/reports');

/** Options every golden file is rendered with: fixed clock and version, so the bytes are stable. */
export const goldenOptions: ReportOptions = {
  now: new Date('2026-03-02T09:30:00Z'),
  failOn: 'info',
  tool: { name: 'parapet', version: '1.0.0' },
};

/**
 * Compares `actual` with `fixtures/reports/<name>` byte for byte. `PARAPET_UPDATE_GOLDEN=1` rewrites
 * the file instead; review the diff before committing it.
 */
export function expectGolden(name: string, actual: string): void {
  const file = path.join(goldenDir, name);
  if (process.env.PARAPET_UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.CI && !existsSync(file)) throw new Error(`golden file ${name} is missing`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}
