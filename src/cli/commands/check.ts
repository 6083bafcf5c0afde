import { Command } from 'commander';
import { ParapetError } from '../../model/errors.js';
import { exitCode, inputErrors, type Notice } from '../../model/result.js';
import { loadInputs, readStdin } from '../../inputs/load.js';
import { applyBaseline, readBaseline, writeBaseline } from '../../engine/baseline.js';
import { collect, type CliIO } from '../io.js';
import { addReportOptions, parseOutputTargets, writeOutputs } from '../outputs.js';
import { createProgress } from '../progress.js';
import { addPolicyOptions, engineFromOptions, type PolicyOptions } from '../settings.js';
import { toolInfo } from '../version.js';
import { addImageOptions, applyImageOptions, type ImageCliOptions } from '../../images/cli-options.js';
import { preflightImageFiles } from '../../images/preflight.js';
import { imageResourcesFromArguments } from '../../inputs/image.js';

interface CheckOptions extends PolicyOptions, ImageCliOptions {
  format: string[];
  output?: string;
  baseline?: string;
  writeBaseline?: string;
  namespace: string[];
  allowEmpty?: boolean;
  helmValues: string[];
  helmSet: string[];
  helmRelease?: string;
  helmNamespace?: string;
}

/** Why a run found nothing to check, in one line. */
function emptyRunReason(paths: string[], notices: Notice[]): string {
  const skipped = notices.filter((notice) => notice.file !== undefined);
  const first = skipped[0];
  const hint =
    first === undefined
      ? ''
      : `; ${first.message}${skipped.length > 1 ? ` (and ${skipped.length - 1} more skipped)` : ''}`;
  return `nothing to check: no Kubernetes, Terraform or AdmissionReview resource in ${paths.join(', ')}${hint} (pass --allow-empty if an empty run should pass)`;
}

/** `parapet check [PATH...]`: evaluate inputs against the policies; exit 0, 1 (findings) or 2 (errors). */
export function checkCommand(io: CliIO, setExit: (code: number) => void): Command {
  const command = new Command('check')
    .description('check Kubernetes manifests, Terraform plans and images against the policies')
    .argument('[paths...]', 'files, directories (recursive) or - for stdin')

    .option(
      '--unknown <mode>',
      'how findings on values unknown until apply count: fail, warn or pass (default: warn)',
    )
    .option(
      '--approve <policy:address>',
      'accept one finding explicitly, e.g. tf-destroy-protected:aws_db_instance.orders (repeatable)',
      collect,
      [],
    )
    .option('--allow-empty', 'a run that finds no resource to check passes instead of exiting 2')
    .option(
      '--namespace <package>',
      'Conftest namespace (Rego package) to run from --policies directories (default: main; repeatable)',
      collect,
      [],
    )
    .option(
      '--helm-values <file>',
      'values file for a chart directory given as a path (repeatable)',
      collect,
      [],
    )
    .option('--helm-set <key=value>', 'helm template --set for a chart directory (repeatable)', collect, [])
    .option('--helm-release <name>', 'release name a chart directory is rendered as (default: release-name)')
    .option('--helm-namespace <namespace>', 'namespace a chart directory is rendered into');
  addReportOptions(command);
  addPolicyOptions(command);
  addImageOptions(command);
  command.action(async (paths: string[], options: CheckOptions) => {
    if (paths.length === 0 && options.image.length === 0)
      throw new ParapetError(
        'PARAPET_USAGE',
        'check: give at least one file, directory, - for stdin, or --image',
      );
    const images = await imageResourcesFromArguments(options.image);
    const targets = parseOutputTargets(options.format, options.output);
    const baseline = options.baseline === undefined ? undefined : readBaseline(options.baseline);
    const { engine, settings } = await engineFromOptions({
      ...options,
      conftestNamespaces: options.namespace,
    });
    applyImageOptions(settings, options);
    preflightImageFiles(settings);
    const progress = createProgress(io);
    let result;
    try {
      // Each input is checked as it is read, so a large run keeps its findings, not its inputs.
      // The bar then counts what is left once everything is read: what policies see together.
      let loading = true;
      const session = engine.session({
        onProgress: (done, total) => {
          if (!loading) progress.tick(done, total);
        },
      });
      progress.phase('loading inputs');
      if (paths.length)
        await loadInputs(paths, {
          readStdin: () => readStdin(io.stdin),
          collectErrors: true,
          allowEmptyStdin: options.allowEmpty === true,
          render: {
            helmValues: options.helmValues,
            helmSet: options.helmSet,
            ...(options.helmRelease !== undefined ? { helmRelease: options.helmRelease } : {}),
            ...(options.helmNamespace !== undefined ? { helmNamespace: options.helmNamespace } : {}),
          },
          each: (output) => session.add(output.resources, output.notices),
        });
      await session.add(images);
      loading = false;
      progress.phase('evaluating');
      result = await session.finish();
    } finally {
      progress.stop();
    }
    const errors = inputErrors(result);
    if (result.summary.resources === 0 && errors.length === 0 && !options.allowEmpty)
      throw new ParapetError('PARAPET_INPUT_EMPTY', emptyRunReason(paths, result.notices));
    if (baseline) result = applyBaseline(result, baseline, options.baseline!);
    writeOutputs(io, result, targets, { failOn: settings.failOn, tool: toolInfo });
    // A baseline records findings, so one written from a run that could not read every input
    // would forget the findings of the unreadable files.
    if (options.writeBaseline !== undefined && errors.length === 0)
      writeBaseline(result, options.writeBaseline);
    // On stderr as well as in the reports: a log that keeps only stderr still says what was missed.
    for (const error of errors) io.stderr(`error: ${error.message}\n`);
    if (errors.length && options.writeBaseline !== undefined)
      io.stderr(`error: ${options.writeBaseline}: not written: some inputs could not be read\n`);
    setExit(
      errors.length
        ? 2
        : exitCode(result, {
            failOn: settings.failOn,
            unknown: settings.unknown,
            baseline: baseline !== undefined,
          }),
    );
  });
  return command;
}
