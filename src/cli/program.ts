import { Command } from 'commander';
import { CONCLAVE_VERSION } from '../server/index.ts';
import type { RemoteFlags } from './api-client.ts';
import { runBacktestCommand, type BacktestFlags } from './backtest-command.ts';
import { runConfigValidate } from './config-command.ts';
import { describeFailure } from './failure.ts';
import { parseHost, parsePort, type ConfigFlags, type StartFlags } from './options.ts';
import { parseCount, parseInterval, parseSeconds } from './options.ts';
import { runAgents, runDlqList, runDlqPurge, runDlqReplay, runStatus } from './remote-commands.ts';
import { runCommand, type RunFlags } from './run-command.ts';
import { runStart } from './start-command.ts';

/** The flags of `command` merged with the program's global ones (`--url`, `--api-key`, `--json`). */
function flagsOf<T>(command: Command): T {
  return command.optsWithGlobals<T & Record<string, unknown>>();
}

/** Builds the `conclave` command line (commander), throwing instead of exiting on usage errors. */
export function buildProgram(): Command {
  const program = new Command('conclave')
    .description('Multi-agent orchestration for algorithmic trading.')
    .version(CONCLAVE_VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .option('--url <url>', 'server to talk to (default CONCLAVE_URL or http://127.0.0.1:8000)')
    .option('--api-key <key>', 'API key sent as a bearer token (default CONCLAVE_API_KEY)')
    .option('--json', 'print JSON instead of tables');

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

  program
    .command('status')
    .description('show the running server’s system status')
    .action((_opts, command: Command) => runStatus(flagsOf<RemoteFlags>(command)));

  program
    .command('agents')
    .description('list agents: status, capabilities, circuit breaker')
    .action((_opts, command: Command) => runAgents(flagsOf<RemoteFlags>(command)));

  program
    .command('run')
    .description('run a command workflow and follow its progress (exit 0 when it completes)')
    .argument(
      '<command>',
      'restart_discovery_system, integrate_real_data, validate_algorithms, health_check, …',
    )
    .argument('[params...]', 'parameters as key=value (values read as JSON when they parse)')
    .option('--timeout <s>', 'seconds to follow before giving up (default 600)', parseSeconds)
    .option('--requester <name>', 'who asks, for the audit trail (default cli)')
    .action((type: string, params: string[], _opts, command: Command) =>
      runCommand(type, params, flagsOf<RunFlags>(command)),
    );

  const dlq = program.command('dlq').description('inspect and act on the dead-letter queue');
  dlq
    .command('list')
    .description('list dead letters')
    .option('--limit <n>', 'at most this many (1-1000, default 100)', parseCount)
    .option('--all', 'include dead letters already replayed')
    .action((_opts, command: Command) =>
      runDlqList(flagsOf<RemoteFlags & { limit?: number; all?: boolean }>(command)),
    );
  dlq
    .command('replay')
    .description('resubmit a dead letter as a new task')
    .argument('<id>', 'dead letter id (from dlq list)')
    .action((id: string, _opts, command: Command) => runDlqReplay(id, flagsOf<RemoteFlags>(command)));
  dlq
    .command('purge')
    .description('delete every dead letter (needs an admin key)')
    .action((_opts, command: Command) => runDlqPurge(flagsOf<RemoteFlags>(command)));

  program
    .command('backtest')
    .description('backtest a strategy file locally on real market data and write the results')
    .requiredOption(
      '-s, --strategy <file>',
      'strategy file (YAML or JSON), e.g. examples/strategy-momentum.yaml',
    )
    .requiredOption('--from <date>', 'first trading day, YYYY-MM-DD')
    .requiredOption('--to <date>', 'last trading day, YYYY-MM-DD')
    .option('-o, --out <dir>', 'output directory (default ./backtests/<run id>)')
    .option('--data-dir <dir>', 'read <SYMBOL>.csv files from here instead of the bundled vega-datasets data')
    .option('--interval <i>', 'bar interval of the --data-dir files (default 1d)', parseInterval)
    .action((_opts, command: Command) => runBacktestCommand(flagsOf<BacktestFlags>(command)));

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
    const args = argv.slice(2);
    // The first word that is neither a flag nor the value of a global flag names the command.
    const command =
      args.find((arg, i) => !arg.startsWith('-') && !['--url', '--api-key'].includes(args[i - 1] ?? '')) ??
      'conclave';
    const { message, exitCode } = describeFailure(err, command);
    if (message !== null) console.error(message);
    return exitCode;
  }
}
