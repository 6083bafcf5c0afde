import { Command, CommanderError } from 'commander';
import { describeError, isParapetError } from '../model/errors.js';
import { auditCommand } from './commands/audit.js';
import { checkCommand } from './commands/check.js';
import { costCommand } from './commands/cost.js';
import { policiesCommand } from './commands/policies.js';
import { regoCommand } from './commands/rego.js';
import { serveCommand } from './commands/serve.js';
import { testCommand } from './commands/test.js';
import { verifyCommand } from './commands/verify.js';
import type { CliIO } from './io.js';
import { toolInfo } from './version.js';

/** Run the CLI with `argv` (without node and script) and return the exit code. Never exits itself. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  let exit = 0;
  const setExit = (code: number) => {
    exit = code;
  };
  const program = new Command('parapet')
    .description('policy-as-code guardrails for Terraform plans, Kubernetes manifests and container images')
    .version(toolInfo.version)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (text) => io.stdout(text), writeErr: (text) => io.stderr(text) });
  const commands = [
    checkCommand(io, setExit),
    auditCommand(io, setExit),
    testCommand(io, setExit),
    policiesCommand(io),
    costCommand(io),
    serveCommand(io, setExit),
    regoCommand(io),
    verifyCommand(io, setExit),
  ];
  for (const command of commands) program.addCommand(command);
  program.exitOverride();
  for (const command of program.commands)
    command.exitOverride().configureOutput({ writeOut: (t) => io.stdout(t), writeErr: (t) => io.stderr(t) });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exit;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successful exits; every other parse problem is a usage error.
      return error.exitCode === 0 ||
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version'
        ? 0
        : 2;
    }
    if (isParapetError(error)) {
      io.stderr(`error: ${error.message}\n`);
      return 2;
    }
    io.stderr(`error: internal error: ${describeError(error)}\n`);
    if (io.env.PARAPET_DEBUG) io.stderr(`${(error as Error)?.stack ?? ''}\n`);
    return 2;
  }
}
