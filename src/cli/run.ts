import { Command, CommanderError } from 'commander';
import { describeError, isParapetError } from '../model/errors.js';
import type { CliIO } from './io.js';
import { toolInfo } from './version.js';

type CommandFactory = (io: CliIO, setExit: (code: number) => void) => Command;

/**
 * The commands, each imported only when it runs: `check` never loads the webhook server, and
 * `--version` loads none of them. Help and unknown commands load all (to list them).
 */
const commandModules: Record<string, () => Promise<CommandFactory>> = {
  check: async () => (await import('./commands/check.js')).checkCommand,
  audit: async () => (await import('./commands/audit.js')).auditCommand,
  test: async () => (await import('./commands/test.js')).testCommand,
  policies: async () => (await import('./commands/policies.js')).policiesCommand,
  cost: async () => (await import('./commands/cost.js')).costCommand,
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  rego: async () => (await import('./commands/rego.js')).regoCommand,
  verify: async () => (await import('./commands/verify.js')).verifyCommand,
};

/** The commands `argv` needs: the one it names, none for a bare --version, else all. */
function commandsFor(argv: string[]): string[] {
  const named = argv.find((arg) => !arg.startsWith('-'));
  if (named !== undefined && named in commandModules) return [named];
  if (named === undefined && argv.length > 0 && argv.every((arg) => arg === '--version' || arg === '-V'))
    return [];
  return Object.keys(commandModules);
}

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
  for (const name of commandsFor(argv)) program.addCommand((await commandModules[name]!())(io, setExit));
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
