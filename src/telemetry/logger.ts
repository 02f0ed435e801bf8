import { performance } from 'node:perf_hooks';
import { pino, type Logger } from 'pino';
import type { AgentRegistry } from '../agents/registry.ts';
import type { Dispatcher } from '../dispatch/dispatcher.ts';
import type { SignalCoordinator } from '../coordination/coordinator.ts';
import { DECISION_STAGES_WORKFLOW, type RunRecord } from '../core/workflow-run.ts';
import type { WorkflowEngine } from '../workflow/engine.ts';

export type { Logger } from 'pino';

/** The JSON logger: `event`, `level`, ISO `timestamp`, plus ids (`task_id`, `corr_id`, …) when known. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'conclave' },
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      messageKey: 'message',
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? process.stdout,
  );
}

/**
 * A child of `logger` that gives lines naming no `event` the event `event`: for a library's own
 * lines (Fastify's "Server listening at …"), so every line has one. Conclave's lines name theirs.
 */
export function withDefaultEvent(logger: Logger, event: string): Logger {
  return logger.child(
    {},
    { formatters: { log: (fields) => ('event' in fields ? fields : { event, ...fields }) } },
  );
}

/**
 * Logs what an operator needs to see: tasks that fail, retry or are dead-lettered (successes only
 * at debug level), breaker transitions, agent status changes and store failures.
 */
export function logDispatch(logger: Logger, dispatcher: Dispatcher, agents: AgentRegistry): () => void {
  const offs = [
    dispatcher.events.on('finished', (t) => {
      const fields = {
        event: `task_${t.status}`,
        task_id: t.id,
        corr_id: t.corrId ?? undefined,
        pattern: t.pattern,
        agent: t.agent,
        attempts: t.attempts,
        execution_time: t.executionMs === null ? null : t.executionMs / 1000,
      };
      if (t.status === 'completed') {
        if (logger.isLevelEnabled('debug')) logger.debug(fields);
      } else logger.warn({ ...fields, error_code: t.error?.code, error: t.error?.message });
    }),
    dispatcher.events.on('retrying', (t, delayMs) =>
      logger.info({
        event: 'task_retry_scheduled',
        task_id: t.id,
        corr_id: t.corrId ?? undefined,
        pattern: t.pattern,
        agent: t.agent,
        attempts: t.attempts,
        delay_ms: delayMs,
        error_code: t.error?.code,
        error: t.error?.message,
      }),
    ),
    dispatcher.events.on('breaker', (agent, tr) =>
      logger.warn({
        event: 'circuit_breaker',
        agent,
        from: tr.from,
        to: tr.to,
        consecutive_failures: tr.consecutiveFailures,
      }),
    ),
    dispatcher.events.on('store_error', (err) =>
      logger.error({ event: 'store_commit_failed', error: err instanceof Error ? err.message : String(err) }),
    ),
    agents.on('status', (c) =>
      logger.info({ event: 'agent_status', agent: c.name, from: c.from, to: c.to, reason: c.reason }),
    ),
  ];
  return () => offs.forEach((off) => off());
}

/**
 * Logs the coordinator's outcomes with their `corr_id`: every decision (info), timeouts (info),
 * rejected, duplicate and late signals (warn / debug), failed deadline decisions (error).
 */
export function logCoordination(logger: Logger, coordinator: SignalCoordinator): () => void {
  const offs = [
    coordinator.on('decision', (type, latencyMs, d) =>
      logger.info({
        event: 'decision',
        corr_id: d.corr_id,
        decision_id: d.decision_id,
        action: type,
        reason: d.reason,
        confidence: d.confidence,
        partial: d.partial,
        missing_agents: d.missing_agents,
        route: d.route.rule,
        latency_ms: latencyMs,
      }),
    ),
    coordinator.on('timeout', (corrId) => logger.info({ event: 'correlation_timeout', corr_id: corrId })),
    coordinator.on('signal_rejected', (reason, agent) =>
      logger.warn({ event: 'signal_rejected', agent, reason }),
    ),
    coordinator.on('late', (corrId, agent) => logger.warn({ event: 'late_signal', corr_id: corrId, agent })),
    coordinator.on('duplicate', (corrId, agent) => {
      if (logger.isLevelEnabled('debug')) logger.debug({ event: 'duplicate_signal', corr_id: corrId, agent });
    }),
    coordinator.on('decision_failed', (corrId, err) =>
      logger.error({
        event: 'decision_failed',
        corr_id: corrId,
        error: err instanceof Error ? err.message : String(err),
      }),
    ),
  ];
  return () => offs.forEach((off) => off());
}

/** Default for `logWorkflows`' `errorLogIntervalMs`. */
const ENGINE_ERROR_LOG_INTERVAL_MS = 10_000;

/** At most one line per interval: `take()` says whether to log now, and how many were held back. */
class LogThrottle {
  #lastAt = -Infinity;
  #held = 0;

  constructor(private readonly intervalMs: number) {}

  /** The number held back since the last line when a line is due now, else undefined. */
  take(): number | undefined {
    const now = performance.now();
    if (now - this.#lastAt < this.intervalMs) {
      this.#held++;
      return undefined;
    }
    this.#lastAt = now;
    const held = this.#held;
    this.#held = 0;
    return held;
  }
}

/** The ids a workflow run's log lines carry: its id, name, parent and the `corr_id` its input names. */
function runFields(run: Readonly<RunRecord>): Record<string, unknown> {
  const input = run.input as { corr_id?: unknown } | null;
  const corrId = typeof input === 'object' && input !== null ? input.corr_id : undefined;
  return {
    workflow_id: run.id,
    workflow: run.name,
    parent_workflow_id: run.parentRunId ?? undefined,
    requester: run.requester ?? undefined,
    corr_id: typeof corrId === 'string' ? corrId : undefined,
  };
}

/**
 * Logs workflow runs with their `workflow_id`: started (debug), completed and stopped (info),
 * cancelled (warn), failed and timed out (error, with the error); failed steps and step retries
 * (warn); journal or bus failures of the engine (error).
 * @remarks A run's start is at debug, and so is the end of the sequential decision pattern's
 * runs (one per decision, whose decision is logged at info already). Engine errors are logged at
 * most once per `errorLogIntervalMs` (default 10 s), each line saying how many were left out
 * since the last (`suppressed`); `conclave_workflow_engine_errors_total` counts every one.
 */
export function logWorkflows(
  logger: Logger,
  engine: Pick<WorkflowEngine, 'events'>,
  options: { errorLogIntervalMs?: number } = {},
): () => void {
  const engineErrors = new LogThrottle(options.errorLogIntervalMs ?? ENGINE_ERROR_LOG_INTERVAL_MS);
  const offs = [
    engine.events.on('state', (_id, status, run) => {
      switch (status) {
        case 'queued':
          return;
        case 'running':
          if (logger.isLevelEnabled('debug')) logger.debug({ event: 'workflow_started', ...runFields(run) });
          return;
        case 'completed':
        case 'stopped': {
          // The decision pattern's own runs (one per decision, logged at info already) at debug.
          const level = run.name === DECISION_STAGES_WORKFLOW ? 'debug' : 'info';
          if (!logger.isLevelEnabled(level)) return;
          const output = run.output as { reason?: unknown; stopped_at?: unknown } | null;
          logger[level]({
            event: `workflow_${status}`,
            ...runFields(run),
            duration_ms: durationMs(run),
            ...(status === 'stopped' ? { stopped_at: output?.stopped_at, reason: output?.reason } : {}),
          });
          return;
        }
        case 'cancelled':
        case 'failed':
        case 'timed_out': {
          const fields = {
            event: `workflow_${status}`,
            ...runFields(run),
            duration_ms: durationMs(run),
            error_code: run.error?.code,
            error: run.error?.message,
          };
          if (status === 'cancelled') logger.warn(fields);
          else logger.error(fields);
        }
      }
    }),
    engine.events.on('step', (s) => {
      const fields = {
        workflow_id: s.runId,
        workflow: s.workflow,
        step_id: s.stepId,
        item_index: s.itemIndex ?? undefined,
        attempt: s.attempt ?? undefined,
      };
      if (s.status === 'retrying') {
        logger.warn({
          event: 'workflow_step_retry_scheduled',
          ...fields,
          delay_ms: s.delayMs,
          error_code: s.error?.code,
          error: s.error?.message,
        });
      } else if (s.status === 'failed') {
        logger.warn({
          event: 'workflow_step_failed',
          ...fields,
          error_code: s.error?.code,
          error: s.error?.message,
        });
      } else if (logger.isLevelEnabled('debug')) {
        logger.debug({ event: `workflow_step_${s.status}`, ...fields });
      }
    }),
    // A bus outage fails every progress publish: one line per interval, with how many it stands for.
    engine.events.on('error', (err) => {
      const suppressed = engineErrors.take();
      if (suppressed !== undefined) logger.error({ event: 'workflow_engine_error', err, suppressed });
    }),
  ];
  return () => offs.forEach((off) => off());
}

function durationMs(run: Readonly<RunRecord>): number | undefined {
  return run.startedAt === null || run.finishedAt === null ? undefined : run.finishedAt - run.startedAt;
}
