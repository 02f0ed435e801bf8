import { pino, type Logger } from 'pino';
import type { AgentRegistry } from '../agents/registry.ts';
import type { Dispatcher } from '../dispatch/dispatcher.ts';
import type { SignalCoordinator } from '../coordination/coordinator.ts';

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
