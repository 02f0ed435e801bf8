import type { AgentRegistry } from '../../agents/registry.ts';
import type { Clock } from '../../core/clock.ts';
import type { Dispatcher } from '../../dispatch/dispatcher.ts';
import type { Store } from '../../store/store.ts';
import type { WorkflowEngine } from '../engine.ts';
import type { BuiltinFn } from '../engine-types.ts';
import type { WorkflowDefinition } from '../model.ts';

/** The AMC commands, plus `resume_trading` (lifting an emergency stop is an explicit, audited command). */
export const COMMAND_TYPES = [
  'restart_discovery_system',
  'integrate_real_data',
  'validate_algorithms',
  'health_check',
  'status_report',
  'emergency_stop',
  'resume_trading',
] as const;

/** One of {@link COMMAND_TYPES}; each is also the name of its workflow. */
export type CommandType = (typeof COMMAND_TYPES)[number];

/** The `commands` config section, compiled: complete, units in names. */
export interface CommandOptions {
  /** Agents serving this capability are the discovery workers. */
  discoveryCapability: string;
  /** Patterns, capabilities or agent names whose tasks are orders (halted by an emergency stop). */
  orderTargets: readonly string[];
  /** How long a restart without `force_stop` waits for discovery workers to go idle. */
  drainTimeoutMs: number;
}

/** Compiles the `commands` config section. */
export function compileCommandOptions(config: {
  discovery_capability: string;
  order_targets: readonly string[];
  drain_timeout_seconds: number;
}): CommandOptions {
  return {
    discoveryCapability: config.discovery_capability,
    orderTargets: [...config.order_targets],
    drainTimeoutMs: config.drain_timeout_seconds * 1000,
  };
}

/** What the command workflows act on: the pieces of a Conclave. */
export interface CommandDeps {
  workflows: WorkflowEngine;
  dispatcher: Pick<
    Dispatcher,
    | 'halt'
    | 'resume'
    | 'halts'
    | 'cancelMatching'
    | 'stats'
    | 'breakers'
    | 'inFlightFor'
    | 'submit'
    | 'get'
    | 'wait'
    | 'cancel'
  >;
  registry: Pick<AgentRegistry, 'byCapability' | 'disable' | 'enable' | 'statusCounts' | 'isAvailable'>;
  store: Pick<Store, 'settings' | 'audit' | 'ping'>;
  clock: Clock;
  options: CommandOptions;
}

/** A command's workflow and the builtins only it uses. */
export interface CommandModule {
  definition: WorkflowDefinition;
  builtins: Record<string, BuiltinFn>;
  /**
   * Work done when the command is received, before its run is journaled (it must not wait for a
   * workflow slot); returns the run's input.
   */
  prepare?: (input: object) => Promise<object>;
}

/** Settings keys the commands write. */
export const SETTINGS = {
  discoveryStrategy: 'discovery.strategy',
  sourceChain: 'market_data.source_chain',
  realDataEnabled: 'trading.real_data_enabled',
  lastValidationReport: 'validation.last_report',
  emergencyStop: 'trading.emergency_stop',
} as const;

/** The workflow tag that marks trading runs (cancelled by an emergency stop). */
export const TRADING_TAG = 'trading';
