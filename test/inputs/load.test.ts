import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadInputs, parseInput } from '../../src/inputs/load.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'parapet-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const manifest = (value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: text\ndata:\n  value: "${value}"\n`;

describe('reading input files', () => {
  it.each([
    ['ASCII', Buffer.from(manifest('plain'))],
    ['UTF-8', Buffer.from(manifest('café ✓ 🚀'))],
    [
      'UTF-8 with a byte order mark',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(manifest('bom'))]),
    ],
    [
      'bytes that are not UTF-8',
      Buffer.concat([Buffer.from(manifest('x').slice(0, -3)), Buffer.from([0xff, 0xfe]), Buffer.from('"\n')]),
    ],
    ['Latin-1 bytes', Buffer.from(manifest('caf\u00e9'), 'latin1')],
  ])('reads %s text as UTF-8 decoding gives it', async (name, bytes) => {
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, bytes);
    const expected = parseInput(file, readFileSync(file, 'utf8'));
    const loaded = await loadInputs([file]);
    expect(loaded.resources.map((r) => r.body)).toEqual(expected.resources.map((r) => r.body));
    expect(loaded.resources).toHaveLength(1);
  });
});
