import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';

const root = path.resolve(import.meta.dirname, '../..');
const shipped = path.join(root, 'policies/config.schema.json');

describe('policies/config.schema.json', () => {
  it('is generated from src/config/schema.ts (regenerate with PARAPET_UPDATE_SCHEMAS=1)', () => {
    const expected = `${JSON.stringify(configSchema, null, 2)}\n`;
    if (process.env.PARAPET_UPDATE_SCHEMAS === '1') writeFileSync(shipped, expected);
    // Compared as data: the file is formatted by prettier like every other file in the repository.
    expect(JSON.parse(readFileSync(shipped, 'utf8'))).toEqual(JSON.parse(expected));
  });

  it('accepts the example configuration and rejects a typo, as editors using it will', () => {
    const ajv = new Ajv2020({ strict: true });
    addFormats.default(ajv, ['date']);
    const validate = ajv.compile(JSON.parse(readFileSync(shipped, 'utf8')) as object);
    expect(validate(parse(readFileSync(path.join(root, 'fixtures/config/parapet.yaml'), 'utf8')))).toBe(true);
    expect(
      validate(parse(readFileSync(path.join(root, 'fixtures/config/invalid/typo-key.yaml'), 'utf8'))),
    ).toBe(false);
  });
});
