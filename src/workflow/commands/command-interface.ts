import type { z } from 'zod';
import { ConclaveError, ValidationError } from '../../core/errors.ts';
import type { WorkflowDefinition } from '../model.ts';
import { COMMAND_TYPES, type CommandDeps, type CommandModule, type CommandType } from './command-types.ts';
import { emergencyStopCommand, emergencyStopParams } from './emergency-stop.ts';
import { resumeTradingCommand, resumeTradingParams } from './resume-trading.ts';
import { healthCheckCommand, healthCheckParams } from './health-check.ts';
import { integrateRealDataCommand, integrateRealDataParams } from './integrate-real-data.ts';
import { restartDiscoveryCommand, restartDiscoveryParams } from './restart-discovery.ts';
import { statusReportCommand, statusReportParams } from './status-report.ts';
import { systemBuiltins } from './system-builtins.ts';
import { validateAlgorithmsCommand, validateAlgorithmsParams } from './validate-algorithms.ts';

/** Each command's parameter schema (AMC names, snake_case). */
export const COMMAND_PARAMS: Readonly<Record<CommandType, z.ZodType>> = {
  restart_discovery_system: restartDiscoveryParams,
  integrate_real_data: integrateRealDataParams,
  validate_algorithms: validateAlgorithmsParams,
  health_check: healthCheckParams,
  status_report: statusReportParams,
  emergency_stop: emergencyStopParams,
  resume_trading: resumeTradingParams,
};

/** True when `value` names a command. */
export function isCommandType(value: unknown): value is CommandType {
  return typeof value === 'string' && (COMMAND_TYPES as readonly string[]).includes(value);
}

/**
 * Validates a command's parameters; a `ValidationError` names the parameter (`parameters.<name>`)
 * and what it accepts, or lists the known commands for an unknown type.
 */
export function parseCommand(commandType: string, parameters: unknown): { type: CommandType; input: object } {
  if (!isCommandType(commandType)) {
    throw new ValidationError(
      'command_type',
      `unknown command '${commandType}'; known commands: ${COMMAND_TYPES.join(', ')}`,
      { allowed: [...COMMAND_TYPES] },
    );
  }
  const parsed = COMMAND_PARAMS[commandType].safeParse(parameters ?? {});
  if (parsed.success) return { type: commandType, input: parsed.data as object };
  const issue = parsed.error.issues[0];
  if (issue === undefined) throw new ValidationError('parameters', 'are invalid');
  if (issue.code === 'unrecognized_keys') {
    const schema = COMMAND_PARAMS[commandType] as { shape?: object; in?: { shape?: object } };
    const allowed = Object.keys(schema.shape ?? schema.in?.shape ?? {});
    throw new ValidationError(
      `parameters.${issue.keys[0] ?? ''}`,
      `is not a parameter of ${commandType}; allowed: ${allowed.length === 0 ? 'none' : allowed.join(', ')}`,
      { allowed },
    );
  }
  const path = issue.path.map(String).join('.');
  throw new ValidationError(path === '' ? 'parameters' : `parameters.${path}`, issue.message);
}

/**
 * The AMC command interface: each command is a registered workflow whose step ids are the AMC
 * progress names; a command returns its run id at once (follow it with `getWorkflowStatus`,
 * `wait` or the `workflow.progress.<requester>` subject).
 */
export class CommandInterface {
  readonly #deps: CommandDeps;
  readonly #modules: ReadonlyMap<CommandType, CommandModule>;
  readonly #registered = new Set<CommandType>();

  constructor(deps: CommandDeps, modules: ReadonlyMap<CommandType, CommandModule>) {
    this.#deps = deps;
    this.#modules = modules;
  }

  /** The workflow definition a command runs. */
  definition(type: CommandType): WorkflowDefinition {
    const module = this.#modules.get(type);
    if (module === undefined) throw new ConclaveError('NOT_FOUND', `command '${type}' is not registered`);
    return module.definition;
  }

  /**
   * Validates the parameters and starts the command's workflow as `requester`; resolves with the
   * run id.
   * @remarks A definition is registered on its first use: the engine checks task steps against
   * the agents registered, and agents register after the Conclave is created. A command's
   * `prepare` (the emergency stop's halt) runs before the run is journaled; if starting the run
   * then fails (`QUEUE_FULL`), what it did stays done — a halt left in force is the safe side.
   */
  async receiveCommand(
    commandType: string,
    parameters: unknown,
    requester = 'management_agent',
  ): Promise<string> {
    const { type, input } = parseCommand(commandType, parameters);
    if (!this.#registered.has(type)) {
      this.#deps.workflows.register(this.definition(type));
      this.#registered.add(type);
    }
    let runInput: object = { ...input, requested_by: requester };
    const prepare = this.#modules.get(type)?.prepare;
    if (prepare !== undefined) runInput = await prepare(runInput);
    return this.#deps.workflows.start(type, runInput, { requester });
  }

  /** RESTART_DISCOVERY_SYSTEM. */
  restartDiscoverySystem(p: { forceStop?: boolean; strategy: string }, requester?: string): Promise<string> {
    return this.receiveCommand(
      'restart_discovery_system',
      { force_stop: p.forceStop ?? false, strategy: p.strategy },
      requester,
    );
  }

  /** INTEGRATE_REAL_DATA. */
  integrateRealData(
    p: { primarySource: string; fallbackSources?: string[] },
    requester?: string,
  ): Promise<string> {
    return this.receiveCommand(
      'integrate_real_data',
      { primary_source: p.primarySource, fallback_sources: p.fallbackSources ?? [] },
      requester,
    );
  }

  /** VALIDATE_ALGORITHMS. */
  validateAlgorithms(
    p: { strategies: string[]; validationPeriod: string },
    requester?: string,
  ): Promise<string> {
    return this.receiveCommand(
      'validate_algorithms',
      { strategies: p.strategies, validation_period: p.validationPeriod },
      requester,
    );
  }

  /** health_check. */
  healthCheck(requester?: string): Promise<string> {
    return this.receiveCommand('health_check', {}, requester);
  }

  /** status_report. */
  statusReport(requester?: string): Promise<string> {
    return this.receiveCommand('status_report', {}, requester);
  }

  /** emergency_stop: halts orders at once and cancels trading workflows. */
  emergencyStop(reason: string, requester?: string): Promise<string> {
    return this.receiveCommand('emergency_stop', { reason }, requester);
  }

  /** resume_trading: lifts the emergency stop. */
  resumeTrading(reason: string, requester?: string): Promise<string> {
    return this.receiveCommand('resume_trading', { reason }, requester);
  }
}

/**
 * Registers every command's builtins on the engine and returns the interface that starts them
 * (their workflow definitions are registered on first use; see `receiveCommand`).
 */
export function registerCommands(deps: CommandDeps): CommandInterface {
  const modules = new Map<CommandType, CommandModule>([
    ['restart_discovery_system', restartDiscoveryCommand(deps)],
    ['integrate_real_data', integrateRealDataCommand(deps)],
    ['validate_algorithms', validateAlgorithmsCommand(deps)],
    ['health_check', healthCheckCommand(deps)],
    ['status_report', statusReportCommand(deps)],
    ['emergency_stop', emergencyStopCommand(deps)],
    ['resume_trading', resumeTradingCommand(deps)],
  ]);
  const builtins = [systemBuiltins(deps), ...[...modules.values()].map((m) => m.builtins)];
  for (const set of builtins)
    for (const [name, fn] of Object.entries(set)) deps.workflows.registerBuiltin(name, fn);
  return new CommandInterface(deps, modules);
}
