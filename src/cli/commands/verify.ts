import { Command } from 'commander';
import { createColors } from 'picocolors';
import { loadConfig } from '../../config/load.js';
import { ParapetError } from '../../model/errors.js';
import { defaultSettings } from '../../model/settings.js';
import { readSuite, runSuite, suiteFiles, type SuiteResult } from '../../rego/suite.js';
import { colorEnabled, type CliIO } from '../io.js';

interface VerifyOptions {
  config?: string;
  format: string;
}

/** `parapet verify FILE...`: run Gatekeeper test suites as `gator verify` does. */
export function verifyCommand(io: CliIO, setExit: (code: number) => void): Command {
  return new Command('verify')
    .description('run Gatekeeper test suites (kind: Suite, test.gatekeeper.sh/v1alpha1) as gator verify does')
    .argument('<paths...>', 'Suite files, or directories whose Suite files to run')
    .option('--config <file>', 'configuration file for the rego settings (default: parapet.yaml, if present)')
    .option('-f, --format <format>', 'text or json', 'text')
    .action(async (files: string[], options: VerifyOptions) => {
      if (options.format !== 'text' && options.format !== 'json')
        throw new ParapetError('PARAPET_USAGE', `verify: unknown format "${options.format}" (text, json)`);
      const config = loadConfig({ cwd: process.cwd(), file: options.config });
      const settings = config?.settings ?? defaultSettings();
      // Every suite is read before any runs: a broken one is exit 2 before anything is reported.
      const suites = files.flatMap((file) => suiteFiles(file)).map((file) => readSuite(file));
      const results: SuiteResult[] = [];
      for (const suite of suites) results.push(await runSuite(suite, settings));
      let passed = 0;
      let failed = 0;
      let skipped = 0;
      for (const suite of results)
        for (const test of suite.tests) {
          if (test.problem) failed += 1;
          for (const testCase of test.cases) {
            if (testCase.outcome === 'pass') passed += 1;
            else if (testCase.outcome === 'fail') failed += 1;
            else skipped += 1;
          }
          if (!test.problem && test.cases.length === 0 && test.outcome === 'pass') passed += 1;
        }
      if (passed + failed === 0)
        throw new ParapetError('PARAPET_SUITE_INVALID', `verify: ${files.join(', ')}: no test case ran`);
      if (options.format === 'json') {
        io.stdout(JSON.stringify({ passed, failed, skipped, suites: results }, null, 2) + '\n');
      } else {
        const c = createColors(colorEnabled(io, true));
        for (const suite of results) {
          io.stdout(`${suite.file}${suite.skipped ? ' (skipped)' : ''}\n`);
          for (const test of suite.tests) {
            if (test.problem) io.stdout(`  ${c.red('FAIL')}  ${test.name}: ${test.problem}\n`);
            else if (test.cases.length === 0)
              io.stdout(`  ${test.outcome === 'skip' ? c.dim('skip') : c.green('ok  ')}  ${test.name}\n`);
            for (const testCase of test.cases) {
              const label = `${test.name} / ${testCase.name}`;
              if (testCase.outcome === 'pass') io.stdout(`  ${c.green('ok  ')}  ${label}\n`);
              else if (testCase.outcome === 'skip') io.stdout(`  ${c.dim('skip')}  ${label}\n`);
              else io.stdout(`  ${c.red('FAIL')}  ${label}: ${testCase.problem}\n`);
            }
          }
        }
        io.stdout(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
      }
      setExit(failed > 0 ? 1 : 0);
    });
}
