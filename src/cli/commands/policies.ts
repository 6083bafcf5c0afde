import { Command } from 'commander';
import { ParapetError } from '../../model/errors.js';
import { loadPolicies } from '../../policies/load.js';
import { assertSelectorsMatch, lastMatching } from '../../engine/selection.js';
import { runPolicies } from '../../engine/engine.js';
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
}

/** `parapet policies`: list the policies a run would use. */
export function policiesCommand(io: CliIO): Command {
  const command = new Command('policies')
    .description('list policies (id, severity, category, title, tags)')
    .option('-f, --format <format>', 'text or json', 'text');
  addPolicyOptions(command);
  command.action(async (options: PoliciesOptions) => {
    if (options.format !== 'text' && options.format !== 'json') {
      throw new ParapetError(
        'PARAPET_USAGE',
        `--format: unknown format "${options.format}" (known: text, json)`,
      );
    }
    // The configuration's policy paths, selection and severity overrides apply, as they do in `check`.
    const config = configFromOptions(options);
    const settings = buildSettings(options, config?.settings);
    const loaded = await loadPolicies({
      paths: [...(config?.policyPaths ?? []), ...options.policies],
      builtin: options.builtin && (config?.builtin ?? true),
    });
    assertSelectorsMatch(loaded, selectorGroups(options, config));
    const policies = runPolicies(loaded, settings).map((p) => ({
      ...p,
      severity: lastMatching(settings.severity, p.id)?.severity ?? p.severity,
    }));
    if (options.format === 'json') {
      const rows = policies.map((p) => ({
        id: p.id,
        severity: p.severity,
        category: p.category,
        title: p.title,
        tags: p.tags,
        source: p.match.source ?? null,
        equivalents: p.equivalents ?? {},
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
        `${p.id.padEnd(idWidth)}  ${p.severity.padEnd(8)}  ${p.category.padEnd(catWidth)}  ${p.title}${p.tags.length ? `  [${p.tags.join(', ')}]` : ''}${equivalents ? `  {${equivalents}}` : ''}\n`,
      );
    }
    io.stdout(`${policies.length} ${policies.length === 1 ? 'policy' : 'policies'}\n`);
  });
  return command;
}
