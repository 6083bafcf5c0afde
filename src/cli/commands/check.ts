import { Command } from 'commander';
import { ParapetError } from '../../model/errors.js';
import { exitCode } from '../../model/result.js';
import { loadInputs, readStdin } from '../../inputs/load.js';
import { getReporter } from '../../reporters/registry.js';
import { collect, colorEnabled, writeReport, type CliIO } from '../io.js';
import { addPolicyOptions, engineFromOptions, type PolicyOptions } from '../settings.js';
import { toolInfo } from '../version.js';

interface CheckOptions extends PolicyOptions {
  format: string;
  output?: string;
}

/** `parapet check [PATH...]`: evaluate inputs against the policies; exit 0, 1 (findings) or 2 (errors). */
export function checkCommand(io: CliIO, setExit: (code: number) => void): Command {
  const command = new Command('check')
    .description('check Kubernetes manifests, Terraform plans and images against the policies')
    .argument('[paths...]', 'files, directories (recursive) or - for stdin')
    .option('-f, --format <format>', 'report format: text or json', 'text')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--fail-on <severity>', 'failing findings at or above this severity fail the run (default: any)')
    .option('--unknown <mode>', 'how findings on values unknown until apply count: fail, warn or pass (default: warn)')
    .option('--approve <policy:address>', 'accept one finding explicitly, e.g. tf-destroy-protected:aws_db_instance.orders (repeatable)', collect, []);
  addPolicyOptions(command);
  command.action(async (paths: string[], options: CheckOptions) => {
    if (paths.length === 0) throw new ParapetError('PARAPET_USAGE', 'check: give at least one file, directory, or - for stdin');
    const reporter = getReporter(options.format);
    const { engine, settings } = await engineFromOptions(options);
    const inputs = await loadInputs(paths, { readStdin: () => readStdin(io.stdin) });
    const result = await engine.evaluate(inputs.resources, { notices: inputs.notices });
    const report = reporter.render(result, {
      color: reporter.name === 'text' && colorEnabled(io, options.output === undefined),
      failOn: settings.failOn,
      tool: toolInfo,
    });
    writeReport(io, report, options.output);
    setExit(exitCode(result, { failOn: settings.failOn, unknown: settings.unknown }));
  });
  return command;
}
