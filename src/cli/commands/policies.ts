import { Command } from 'commander';
import { ParapetError } from '../../model/errors.js';
import { loadPolicies } from '../../policies/load.js';
import { assertSelectorsMatch, lastMatching } from '../../engine/selection.js';
import { runPolicies } from '../../engine/engine.js';
import { policyTableMarkdown } from '../../policies/catalogue.js';
import type { CliIO } from '../io.js';
import {
  addPolicyOptions,
  buildSettings,
  configFromOptions,
  selectorGroups,
  type PolicyOptions,
} from '../settings.js';

interface PoliciesOptions extends PolicyOptions {
  format: string;
  all?: boolean;
}

const formats = ['text', 'json', 'markdown'];

/** `parapet policies`: list the policies a run would use. */
export function policiesCommand(io: CliIO): Command {
  const command = new Command('policies')
    .description('list policies (id, severity, category, title, tags, equivalents)')
    .option('-f, --format <format>', 'text, json or markdown (a table for a catalogue page)', 'text')
    .option('--all', 'list the optional policies too, enabled or not');
  addPolicyOptions(command);
  command.action(async (options: PoliciesOptions) => {
    if (!formats.includes(options.format)) {
      throw new ParapetError(
        'PARAPET_USAGE',
        `--format: unknown format "${options.format}" (known: ${formats.join(', ')})`,
      );
    }
    // The configuration's policy paths, selection and severity overrides apply, as they do in `check`.
    const config = configFromOptions(options);
    const settings = buildSettings(options, config?.settings);
    if (options.all) settings.enable = ['*'];
    const loaded = await loadPolicies({
      paths: [...(config?.policyPaths ?? []), ...options.policies],
      builtin: options.builtin && (config?.builtin ?? true),
    });
    assertSelectorsMatch(loaded, selectorGroups(options, config));
    const policies = runPolicies(loaded, settings).map((p) => ({
      ...p,
      severity: lastMatching(settings.severity, p.id)?.severity ?? p.severity,
    }));
    if (options.format === 'markdown') {
      io.stdout(policyTableMarkdown(policies));
      return;
    }
    if (options.format === 'json') {
      const rows = policies.map((p) => ({
        id: p.id,
        severity: p.severity,
        category: p.category,
        title: p.title,
        tags: p.tags,
        source: p.match.source ?? null,
        equivalents: p.equivalents ?? {},
        optional: p.optional ?? false,
        builtin: p.builtin,
      }));
      io.stdout(JSON.stringify(rows, null, 2) + '\n');
      return;
    }
    const idWidth = Math.max(2, ...policies.map((p) => p.id.length));
    const catWidth = Math.max(8, ...policies.map((p) => p.category.length));
    io.stdout(
      `${'ID'.padEnd(idWidth)}  SEVERITY  ${'CATEGORY'.padEnd(catWidth)}  TITLE  [TAGS]  {EQUIVALENTS}\n`,
    );
    for (const p of policies) {
      const equivalents = Object.entries(p.equivalents ?? {})
        .map(([scheme, ids]) => `${scheme}: ${ids.join(', ')}`)
        .join('; ');
      io.stdout(
        `${p.id.padEnd(idWidth)}  ${p.severity.padEnd(8)}  ${p.category.padEnd(catWidth)}  ${p.optional ? '(optional) ' : ''}${p.title}${p.tags.length ? `  [${p.tags.join(', ')}]` : ''}${equivalents ? `  {${equivalents}}` : ''}\n`,
      );
    }
    const off = runPolicies(loaded, { ...settings, enable: ['*'] }).length - policies.length;
    io.stdout(
      `${policies.length} ${policies.length === 1 ? 'policy' : 'policies'}${off > 0 ? ` (${off} optional not enabled: --enable GLOB runs them, --all lists them)` : ''}\n`,
    );
  });
  return command;
}
