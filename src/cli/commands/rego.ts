import { Command } from 'commander';
import { ParapetError } from '../../model/errors.js';
import { loadConfig } from '../../config/load.js';
import { loadPolicies } from '../../policies/load.js';
import { buildPrebuiltBundles } from '../../rego/prebuild.js';
import { regoSettingsFrom } from '../../rego/settings.js';
import { collect, type CliIO } from '../io.js';

interface RegoBuildOptions {
  namespace: string[];
  config?: string;
}

/** `parapet rego build DIR...`: compile the Rego of policy directories to committed Wasm bundles. */
export function regoCommand(io: CliIO): Command {
  const rego = new Command('rego').description('Rego (OPA) policy tools');
  rego
    .command('build')
    .description(
      'compile the Rego of policy directories (Conftest, Gatekeeper, native rego rules) into compiled/ bundles beside them, for machines without opa',
    )
    .argument('<dirs...>', 'policy directories')
    .option(
      '--namespace <package>',
      'Conftest namespace (Rego package) to compile (default: main; repeatable)',
      collect,
      [],
    )
    .option(
      '--config <file>',
      'configuration file (default: parapet.yaml in the working directory, if present)',
    )
    .action(async (dirs: string[], options: RegoBuildOptions) => {
      const config = loadConfig({ cwd: process.cwd(), file: options.config });
      const settings = regoSettingsFrom(config?.settings.domains ?? {});
      const namespaces = options.namespace.length > 0 ? options.namespace : settings.namespaces;
      const policies = await loadPolicies({ paths: dirs, builtin: false, sourceOptions: { namespaces } });
      const written = buildPrebuiltBundles(policies, settings);
      if (written.length === 0)
        throw new ParapetError('PARAPET_USAGE', `rego build: no Rego policies in ${dirs.join(', ')}`);
      for (const bundle of written)
        io.stdout(
          `${bundle.file}  (${bundle.source}, ${bundle.origin === 'opa' ? 'compiled' : `unchanged, from ${bundle.origin}`})\n`,
        );
    });
  return rego;
}
