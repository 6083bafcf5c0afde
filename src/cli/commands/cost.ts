import { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { loadPriceCatalogue } from '../../cost/catalogue.js';
import { CostEstimator } from '../../cost/estimate.js';
import { buildCostReport } from '../../cost/report.js';
import { costSettingsOf } from '../../cost/settings.js';
import { loadInputs, readStdin } from '../../inputs/load.js';
import { ParapetError } from '../../model/errors.js';
import { costJsonReporter } from '../../reporters/cost-json.js';
import { costMarkdownReporter } from '../../reporters/cost-markdown.js';
import type { CostReporter } from '../../reporters/cost-shared.js';
import { costTextReporter } from '../../reporters/cost-text.js';
import { collect, writeReport, type CliIO } from '../io.js';

const reporters: CostReporter[] = [costTextReporter, costMarkdownReporter, costJsonReporter];

interface CostOptions {
  format: string;
  output?: string;
  config?: string;
  pricing: string[];
}

/** `parapet cost PATH...`: monthly cost before and after, per resource and in total. */
export function costCommand(io: CliIO): Command {
  return new Command('cost')
    .description(
      'estimate the monthly cost of Terraform plans and Kubernetes workloads, before and after the change',
    )
    .argument(
      '<paths...>',
      'Terraform plans (terraform show -json), Kubernetes manifests, directories, or - for stdin',
    )
    .option('-f, --format <format>', 'text, markdown or json', 'text')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option(
      '--pricing <path>',
      'extra pricing file or directory; its tables replace built-in ones (repeatable)',
      collect,
      [],
    )
    .option(
      '--config <file>',
      'configuration file (default: parapet.yaml in the working directory, if present)',
    )
    .action(async (paths: string[], options: CostOptions) => {
      const reporter = reporters.find((candidate) => candidate.name === options.format);
      if (!reporter) {
        throw new ParapetError(
          'PARAPET_USAGE',
          `--format: unknown format "${options.format}" (known: ${reporters.map((r) => r.name).join(', ')})`,
        );
      }
      const config = loadConfig({ cwd: process.cwd(), file: options.config });
      const settings = costSettingsOf(config?.settings);
      const catalogue = loadPriceCatalogue([...settings.pricing, ...options.pricing]);
      const inputs = await loadInputs(paths, { readStdin: () => readStdin(io.stdin) });
      const estimator = new CostEstimator(catalogue, settings);
      estimator.prepare(inputs.resources);
      for (const resource of inputs.resources) resource.facts.cost = estimator.estimate(resource);
      for (const notice of inputs.notices) io.stderr(`${notice.level}: ${notice.message}\n`);
      writeReport(io, reporter.render(buildCostReport(inputs.resources, catalogue.currency)), options.output);
    });
}
