import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Policy } from '../../src/model/policy.js';
import {
  catalogueBegin,
  catalogueEnd,
  policyTableMarkdown,
  withCatalogue,
} from '../../src/policies/catalogue.js';
import { readmeWithCatalogue } from '../../src/policies/write-readme.js';
import { repoPath, runCli } from '../helpers.js';

describe("README's policy catalogue", () => {
  it('is what the built-in library generates (run `npm run readme` after changing a policy)', async () => {
    const readme = readFileSync(repoPath('README.md'), 'utf8');
    const generated = await readmeWithCatalogue(repoPath('README.md'));
    // Compare the catalogue only, so a stale table reads as one diff, not a whole README.
    const catalogue = (text: string) => text.slice(text.indexOf(catalogueBegin), text.indexOf(catalogueEnd));
    expect(catalogue(readme), 'README.md is stale: run `npm run readme`').toBe(catalogue(generated));
    expect(readme).toBe(generated);
  });

  it('lists every built-in policy once, with its equivalents', async () => {
    const text = readFileSync(repoPath('README.md'), 'utf8');
    const readme = text.slice(text.indexOf(catalogueBegin), text.indexOf(catalogueEnd));
    const { stdout } = await runCli(['policies', '--all', '--format', 'json']);
    const rows = JSON.parse(stdout) as Array<{ id: string; equivalents: Record<string, string[]> }>;
    for (const row of rows) {
      const lines = readme.split('\n').filter((line) => line.startsWith(`| \`${row.id}\` |`));
      expect(lines, row.id).toHaveLength(1);
      for (const [scheme, ids] of Object.entries(row.equivalents))
        expect(lines[0], row.id).toContain(`${scheme}: ${ids.join(', ')}`);
    }
  });

  it('escapes what would break a table row, and refuses a README without the markers', () => {
    const policy = {
      id: 'site-pipes',
      title: 'A | B\nC',
      severity: 'low',
      category: 'security',
      tags: [],
      references: [],
      match: {},
      rule: { schema: { assert: {} } },
      message: 'm',
      file: '/x/site-pipes.yaml',
      builtin: false,
      optional: true,
      parameters: { limit: { type: 'integer', default: 3 }, zones: { type: 'array' } },
      equivalents: { polaris: ['hostPIDSet'], kyverno: ['disallow-host-pid'] },
    } as unknown as Policy;
    expect(policyTableMarkdown([policy]).split('\n')[2]).toBe(
      '| `site-pipes` | low | A \\| B C | opt-in (`--enable`); `limit` = `3`, `zones` | polaris: hostPIDSet; kyverno: disallow-host-pid |',
    );
    expect(() => withCatalogue('# no markers\n', [policy])).toThrow(/markers/);
  });
});
