import {
  AgentRegistry,
  HttpTransport,
  InprocTransport,
  RemoteAgentDirectory,
  type AgentRegistration,
} from './agents/index.ts';
import type { InprocHandler } from './agents/index.ts';
import type { Bus } from './bus/index.ts';
import { systemClock, type Clock } from './core/clock.ts';
import type { ConclaveConfig } from './core/config.ts';
import { systemRandom, type Random } from './core/random.ts';
import { DeadLetterQueue, Dispatcher, RoutingTable, compileDispatcherOptions } from './dispatch/index.ts';
import { createStore } from './store/index.ts';
import type { Store } from './store/store.ts';
import {
  ConclaveMetrics,
  createLogger,
  logCoordination,
  logDispatch,
  logWorkflows,
  type Logger,
} from './telemetry/index.ts';
import { startTracing } from './telemetry/tracing.ts';
import { WorkflowEngine, compileWorkflowEngineOptions } from './workflow/index.ts';
import { SignalCoordinator, compileCoordination } from './coordination/index.ts';
import { dispatcherDeliveryQueue, registerDeliveryAgent } from './wiring/delivery-agent.ts';
import { WorkflowStageRunner } from './wiring/stage-workflow.ts';
import { CONCLAVE_VERSION } from './core/version.ts';
import { CountingState } from './state/counting-state.ts';
import type { SharedState } from './state/shared-state.ts';
import {
  busStreams,
  openBus,
  openState,
  storeStatus,
  type DependencyReport,
  type DependencyStatus,
  type OpenedBus,
  type OpenedState,
} from './wiring/distributed.ts';
import { guardIntake } from './wiring/intake-guard.ts';
import { registerPlannerBuiltins } from './trading/index.ts';

export type { DependencyReport, DependencyStatus } from './wiring/distributed.ts';
import {
  type CommandInterface,
  compileCommandOptions,
  registerCommands,
  reinstateEmergencyStop,
} from './workflow/commands/index.ts';

/** Injectable pieces for tests and the backtester; everything else comes from config. */
export interface ConclaveOverrides {
  clock?: Clock;
  random?: Random;
  store?: Store;
  bus?: Bus;
  state?: SharedState;
  logger?: Logger;
}

/** The AMC document's system status: agents by state, queue sizes, workflows, halts. */
export interface SystemStatus {
  timestamp: string;
  system_metrics: {
    running_agents: number;
    error_agents: number;
    offline_agents: number;
    disabled_agents: number;
    total_agents: number;
  };
  /** Tasks waiting to run (queued, parked, awaiting their intake commit). */
  message_queue_size: number;
  in_flight_tasks: number;
  retry_waiting_tasks: number;
  active_workflows: number;
  queued_workflows: number;
  /** Halts in force (an emergency stop places one). */
  halts: { id: string; reason: string; since: string }[];
}

/** A running Conclave: every component, wired once. */
export interface Conclave {
  readonly config: ConclaveConfig;
  readonly clock: Clock;
  readonly store: Store;
  readonly bus: Bus;
  readonly registry: AgentRegistry;
  readonly routing: RoutingTable;
  readonly dispatcher: Dispatcher;
  readonly deadLetters: DeadLetterQueue;
  /** The durable workflow engine (register workflows and builtins before `start`). */
  readonly workflows: WorkflowEngine;
  /** The AMC commands (restart_discovery_system, emergency_stop, …), each run as a workflow. */
  readonly commands: CommandInterface;
  /** Short-lived coordination state (correlation joins, locks, buckets). */
  readonly state: SharedState;
  /** Joins enriched signals by corr_id into decisions (consumes `signals.enriched.>` once started). */
  readonly coordinator: SignalCoordinator;
  readonly metrics: ConclaveMetrics;
  readonly logger: Logger;
  /** Agents by state, queue sizes, active workflows and halts (the AMC document's get_system_status). */
  getSystemStatus(): SystemStatus;
  /**
   * Each dependency's health (bus, shared state, store) and whether the process is fit to take work.
   * @remarks `GET /health` answers 503 with these reasons when `ok` is false (the bus is down, or
   * shared state is down with `fallback: refuse`); a `degraded` state still serves, on its fallback.
   */
  dependencies(): Promise<DependencyReport>;
  /** Remote agents announced over NATS (undefined on the in-process bus). */
  readonly remoteAgents: RemoteAgentDirectory | undefined;
  /** Registers an in-process agent (connection limit defaults to the configured one). */
  registerInprocAgent(registration: Omit<AgentRegistration, 'transport'> & { handler: InprocHandler }): void;
  /**
   * Recovers unfinished tasks, then unfinished workflow runs, and starts heartbeat monitoring.
   * Register agents, builtins and workflows first.
   */
  start(): Promise<{ recoveredTasks: number; recoveredWorkflows: number }>;
  /** Graceful stop: intake closes, in-flight work gets `graceMs`, state is flushed, connections close. */
  close(graceMs?: number): Promise<void>;
}

/**
 * The one place where Conclave is wired: config in, components out. No globals: two Conclaves in
 * one process are independent.
 */
export async function createConclave(
  config: ConclaveConfig,
  overrides: ConclaveOverrides = {},
): Promise<Conclave> {
  const clock = overrides.clock ?? systemClock;
  const random = overrides.random ?? systemRandom;
  const store =
    overrides.store ??
    (await createStore({
      driver: config.store.driver,
      sqlitePath: config.store.sqlite_path,
      postgresUrl: config.store.postgres_url,
      postgresPoolMax: config.store.postgres_pool_max,
    }));
  const logger = overrides.logger ?? createLogger(config.log.level);
  const metrics = new ConclaveMetrics();
  let openedBus: OpenedBus;
  try {
    openedBus = await openBus(config, clock, logger, metrics, overrides.bus);
  } catch (err) {
    if (overrides.store === undefined) await store.close();
    throw err;
  }
  const bus = openedBus.bus;
  const openedState: OpenedState = await openState(config, clock, logger, metrics, overrides.state);
  const registry = new AgentRegistry({
    clock,
    heartbeatIntervalMs: config.agents.heartbeat_interval_seconds * 1000,
    timeoutThresholdMs: config.agents.timeout_threshold_seconds * 1000,
    errorThreshold: config.agents.error_threshold,
    errorWindowMs: config.agents.error_window_seconds * 1000,
  });
  const routing = new RoutingTable(config.routing_rules);
  const maxConnections = config.dispatcher.load_balancing.max_connections_per_agent;
  // Rules that name an endpoint declare an HTTP agent at that URL.
  for (const rule of config.routing_rules) {
    if (rule.endpoint === undefined || rule.target_agent === undefined) continue;
    if (registry.get(rule.target_agent) !== undefined) continue;
    registry.register({
      name: rule.target_agent,
      capabilities: [rule.capability ?? rule.pattern],
      transport: new HttpTransport({ endpoint: rule.endpoint, clock }),
      maxConnections,
      heartbeat: 'auto',
    });
  }
  const remoteAgents =
    config.bus.driver === 'nats' && overrides.bus === undefined
      ? new RemoteAgentDirectory({
          bus,
          registry,
          maxConnections,
          onIgnored: (reason, subject) =>
            logger.warn(
              { event: 'agent_announcement_ignored', subject, reason },
              `agent announcement ignored: ${reason}`,
            ),
          onRegistered: (a) =>
            logger.info(
              {
                event: 'remote_agent_registered',
                agent: a.name,
                capabilities: a.capabilities,
                instance: a.instance,
              },
              'remote agent registered',
            ),
        })
      : undefined;
  const dispatcher = new Dispatcher(compileDispatcherOptions(config.dispatcher), {
    store,
    registry,
    routing,
    clock,
    random,
  });
  // The in-process bus never disconnects: the embedded shape skips the guard (and its proxy).
  const intake =
    config.bus.driver === 'memory' && overrides.bus === undefined
      ? dispatcher
      : guardIntake(dispatcher, openedBus);
  const deadLetters = new DeadLetterQueue(store.tasks, dispatcher, clock);
  const workflows = new WorkflowEngine(compileWorkflowEngineOptions(config.workflows), {
    dispatcher,
    store,
    bus,
    clock,
    hasPattern: (pattern) => {
      try {
        routing.resolve(pattern, (capability) => registry.byCapability(capability).length > 0);
        return true;
      } catch {
        return false;
      }
    },
  });
  const commandDeps = {
    workflows,
    dispatcher,
    registry,
    store,
    clock,
    options: compileCommandOptions(config.commands),
  };
  const commands = registerCommands(commandDeps);
  const state = new CountingState(openedState.state, (op) => metrics.stateOperations.labels(op).inc());
  const coordination = compileCoordination(config.coordination, CONCLAVE_VERSION);
  registerDeliveryAgent(registry, bus);
  const streams = busStreams(config.bus.nats.streams);
  const signalStream = streams.get('signals');
  const coordinatorOptions =
    config.bus.driver === 'nats' && signalStream !== undefined
      ? { ...coordination.options, stream: signalStream.name }
      : coordination.options;
  const coordinator = new SignalCoordinator(coordinatorOptions, {
    bus,
    state,
    store,
    clock,
    policy: coordination.policy,
    router: coordination.router,
    deliveries: dispatcherDeliveryQueue(dispatcher),
    ...(coordination.stages === undefined
      ? {}
      : { stages: new WorkflowStageRunner(workflows, coordination.policy, coordination.stages) }),
  });
  const unbind = [
    metrics.observe(dispatcher, registry),
    metrics.observeCoordinator(coordinator),
    metrics.observeWorkflows(workflows),
    logDispatch(logger, dispatcher, registry),
    logCoordination(logger, coordinator),
    logWorkflows(logger, workflows),
  ];
  // Last, so a failed construction above leaves no tracer provider behind.
  const tracing = await startTracing(config.telemetry.tracing);
  let closed = false;
  const conclave: Conclave = {
    config,
    clock,
    store,
    bus,
    registry,
    routing,
    dispatcher: intake,
    deadLetters,
    workflows,
    commands,
    state,
    coordinator,
    metrics,
    logger,
    remoteAgents,
    dependencies: async () => {
      const dependencies: DependencyStatus[] = [
        openedBus.status(),
        openedState.status(),
        await storeStatus(store, overrides.store === undefined ? config.store.driver : 'custom'),
      ];
      return { ok: dependencies.every((d) => d.status !== 'down'), dependencies };
    },
    getSystemStatus: () => {
      const agents = registry.statusCounts();
      const tasks = dispatcher.stats();
      const runs = workflows.stats();
      const iso = (ms: number): string => new Date(ms).toISOString();
      return {
        timestamp: iso(clock.now()),
        system_metrics: {
          running_agents: agents.running,
          error_agents: agents.error,
          offline_agents: agents.offline,
          disabled_agents: agents.disabled,
          total_agents: agents.total,
        },
        message_queue_size: tasks.queued + tasks.awaitingCommit,
        in_flight_tasks: tasks.inFlight,
        retry_waiting_tasks: tasks.retryWaiting,
        active_workflows: runs.active,
        queued_workflows: runs.queued,
        halts: dispatcher.halts().map((h) => ({ id: h.id, reason: h.reason, since: iso(h.since) })),
      };
    },
    registerInprocAgent: ({ handler, ...registration }) => {
      registry.register({ maxConnections, ...registration, transport: new InprocTransport(handler) });
    },
    start: async () => {
      registry.start();
      remoteAgents?.start();
      await openedState.probe();
      // Streams carry limits from config; only the distributed bus keeps streams (in memory they would grow).
      if (config.bus.driver === 'nats') for (const stream of streams.values()) await bus.ensureStream(stream);
      // A halt lives in memory: an emergency stop recorded as active halts again before any
      // recovered order could be dispatched.
      await reinstateEmergencyStop(commandDeps);
      const recoveredTasks = await dispatcher.recover();
      const recoveredWorkflows = await workflows.recover();
      if (config.coordination.enabled) {
        await coordinator.start();
        // The coordinator declares its stream without limits; put the configured ones back.
        if (config.bus.driver === 'nats' && signalStream !== undefined) await bus.ensureStream(signalStream);
      }
      return { recoveredTasks, recoveredWorkflows };
    },
    close: async (graceMs = 10_000) => {
      if (closed) return;
      closed = true;
      // Runs are suspended (they resume on the next start); their tasks stay with the dispatcher.
      await coordinator.close();
      await workflows.close();
      await dispatcher.close(graceMs);
      unbind.forEach((off) => off());
      await remoteAgents?.close();
      await registry.close();
      await bus.close();
      await state.close();
      await store.close();
      await tracing.shutdown();
    },
  };
  // Strategy runs are journaled with their planned definition; the builtin that decides in them
  // must be known before `start()` resumes one that a previous process left running.
  registerPlannerBuiltins(conclave);
  return conclave;
}
