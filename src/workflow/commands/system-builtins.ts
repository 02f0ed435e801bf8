import { sleep } from '../../core/clock.ts';
import { ConclaveError, isConclaveError } from '../../core/errors.ts';
import type { JsonObject } from '../../core/task.ts';
import type { BuiltinContext, BuiltinFn } from '../engine-types.ts';
import { deterministicId, taskIdFor } from '../step-ids.ts';
import type { CommandDeps } from './command-types.ts';
import { runStepTask } from '../dispatch-task.ts';

/** Names of the builtins several commands share. */
export const SYSTEM_BUILTINS = {
  setting: 'commands.write_setting',
  health: 'commands.system_health',
} as const;

/** How often a drain looks at the discovery workers' calls in flight. */
export const DRAIN_POLL_MS = 250;

/**
 * Calls a capability through the dispatcher from a builtin, the way a task step does: one task per
 * attempt under a deterministic id (a resumed attempt rejoins its task instead of submitting
 * again), cancelled if the step is aborted. Resolves with the task's result.
 */
export async function dispatchTask(
  deps: CommandDeps,
  ctx: BuiltinContext,
  pattern: string,
  payload: JsonObject,
): Promise<unknown> {
  // Commands are rare: asking the dispatcher first costs little and keeps a resumed attempt from
  // submitting a task id the store already holds.
  return runStepTask(deps.dispatcher, {
    taskId: taskIdFor(ctx.runId, `${ctx.stepId}:${pattern}`, null, ctx.attempt),
    stepId: ctx.stepId,
    input: {
      pattern,
      payload,
      metadata: {
        workflow_run_id: ctx.runId,
        workflow_step_id: ctx.stepId,
        idempotency_key: ctx.idempotencyKey,
      },
      maxRetries: 0,
    },
    signal: ctx.signal,
    mayExist: true,
    label: pattern,
  });
}

/**
 * Appends an audit entry for a builtin step, once: its id derives from the step's idempotency key,
 * so a retried or resumed attempt finds its entry already written. Returns the entry id.
 */
export async function auditOnce(
  deps: CommandDeps,
  ctx: BuiltinContext,
  kind: string,
  actor: string | null,
  data: unknown,
): Promise<string> {
  const id = `audit_${deterministicId('audit', ctx.idempotencyKey)}`;
  try {
    await deps.store.audit.append({ id, at: deps.clock.now(), kind, corrId: ctx.runId, actor, data });
  } catch (err) {
    if (!isConclaveError(err, 'CONFLICT')) throw err;
  }
  return id;
}

/** The agents serving the discovery capability, by name. */
export function discoveryAgents(deps: CommandDeps): string[] {
  return deps.registry.byCapability(deps.options.discoveryCapability).map((a) => a.name);
}

/** The selector of discovery tasks: routed to the capability or one of its agents. */
export function discoverySelector(deps: CommandDeps): { patterns: string[]; targets: string[] } {
  const capability = deps.options.discoveryCapability;
  return { patterns: [capability], targets: [capability, ...discoveryAgents(deps)] };
}

/**
 * Waits on the injected clock until none of `agents` has a call in flight; after `timeoutMs`
 * fails with a non-retryable `TIMEOUT` naming the agents still busy.
 */
export async function drain(
  deps: CommandDeps,
  agents: readonly string[],
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const deadline = deps.clock.now() + timeoutMs;
  for (;;) {
    const busy = agents
      .map((name) => ({ name, inFlight: deps.dispatcher.inFlightFor(name) }))
      .filter((a) => a.inFlight > 0);
    if (busy.length === 0) return;
    if (deps.clock.now() >= deadline) {
      const list = busy.map((a) => `${a.name} (${a.inFlight} in flight)`).join(', ');
      throw new ConclaveError('TIMEOUT', `discovery workers still busy after ${timeoutMs} ms: ${list}`, {
        retryable: false,
        details: { busy: busy.map((a) => a.name) },
      });
    }
    await sleep(deps.clock, Math.min(DRAIN_POLL_MS, deadline - deps.clock.now()), signal);
  }
}

/** The system's health as the health check and restart validation see it. */
export interface SystemHealth {
  status: 'healthy' | 'degraded' | 'unhealthy';
  agents: Record<string, number>;
  open_breakers: string[];
  queue: { queued: number; in_flight: number; retry_waiting: number };
  workflows: { active: number; queued: number };
  store: boolean;
  halts: number;
}

/**
 * Reads the system's health: unhealthy when the store does not answer or no agent is running,
 * degraded when a breaker is open or an agent is in error, offline or disabled.
 */
export async function systemHealth(deps: CommandDeps): Promise<SystemHealth> {
  const counts = deps.registry.statusCounts();
  const openBreakers = Object.entries(deps.dispatcher.breakers())
    .filter(([, b]) => b.state !== 'closed')
    .map(([name]) => name);
  const stats = deps.dispatcher.stats();
  const engine = deps.workflows.stats();
  const store = await deps.store.ping();
  const troubled = counts.error + counts.offline + counts.disabled;
  const status =
    !store || counts.running + counts.error === 0
      ? 'unhealthy'
      : openBreakers.length > 0 || troubled > 0
        ? 'degraded'
        : 'healthy';
  return {
    status,
    agents: { ...counts },
    open_breakers: openBreakers,
    queue: { queued: stats.queued, in_flight: stats.inFlight, retry_waiting: stats.retryWaiting },
    workflows: { active: engine.active, queued: engine.queued },
    store,
    halts: deps.dispatcher.halts().length,
  };
}

/** Builtins shared by the commands: writing a setting, reporting health. */
export function systemBuiltins(deps: CommandDeps): Record<string, BuiltinFn> {
  return {
    /** params `{ entries: { key: value, … } }`: writes each setting as the run's requester. */
    [SYSTEM_BUILTINS.setting]: async (params, ctx) => {
      const entries = (params as { entries?: Record<string, unknown> }).entries ?? {};
      const by = (params as { by?: string | null }).by ?? null;
      const at = deps.clock.now();
      for (const [key, value] of Object.entries(entries)) await deps.store.settings.set(key, value, by, at);
      return { written: Object.keys(entries), run: ctx.runId };
    },
    [SYSTEM_BUILTINS.health]: () => systemHealth(deps),
  };
}
