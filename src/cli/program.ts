import { Command } from 'commander';
import { CONCLAVE_VERSION } from '../server/index.ts';
import { runConfigValidate } from './config-command.ts';
import { describeFailure } from './failure.ts';
import { parseHost, parsePort, type ConfigFlags, type StartFlags } from './options.ts';
import { runStart } from './start-command.ts';

/** Builds the `conclave` command line (commander), throwing instead of exiting on usage errors. */
export function buildProgram(): Command {
  const program = new Command('conclave')
    .description('Multi-agent orchestration for algorithmic trading.')
    .version(CONCLAVE_VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('start')
    .description('run Conclave embedded with its REST API')
    .option('-c, --config <file>', 'YAML configuration file (default ./conclave.yaml or CONCLAVE_CONFIG)')
    .option('--profile <name>', 'profile from the file’s profiles: map to overlay')
    .option('-p, --port <n>', 'HTTP port, 0-65535 (default from config: 8000)', parsePort)
    .option('--host <h>', 'address to bind (default from config: 127.0.0.1)', parseHost)
    .action((flags: StartFlags) => runStart(flags));

  program
    .command('config')
    .description('inspect the configuration')
    .command('validate')
    .description('check the configuration and print a summary')
    .option('-c, --config <file>', 'YAML configuration file (default ./conclave.yaml or CONCLAVE_CONFIG)')
    .option('--profile <name>', 'profile from the file’s profiles: map to overlay')
    .action((flags: ConfigFlags) => runConfigValidate(flags));

  return program;
}

/**
 * Runs the CLI on `argv` (as in `process.argv`) and resolves with the exit status: 0 done (or, for
 * `start`, listening), 1 a run-time failure, 2 a usage or configuration error.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    const command = argv.slice(2).find((arg) => !arg.startsWith('-')) ?? 'conclave';
    const { message, exitCode } = describeFailure(err, command);
    if (message !== null) console.error(message);
    return exitCode;
  }
}
