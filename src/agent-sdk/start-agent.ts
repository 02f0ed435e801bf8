import { randomUUID } from 'node:crypto';
import { HEADER, type Bus, type BusMessage, type Headers, type Subscription } from '../bus/bus.ts';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.ts';
import { ConclaveError, ValidationError, isConclaveError } from '../core/errors.ts';
import { AGENT_SUBJECTS, parseCallBody } from '../agents/nats-protocol.ts';
import type { AgentAnnouncement, AgentCallBody, AgentCallReply } from '../agents/nats-protocol.ts';
import { parseSignal, type NormalizedSignal } from '../coordination/schemas.ts';
import { extractContext, injectHeaders, tracingEnabled, withSpan } from '../telemetry/spans.ts';
import { enrichedSignal, type EnrichOptions } from './enriched.ts';
import { Slots } from './slots.ts';

/** What a handler gets besides the task's payload. */
export interface AgentTaskContext {
  readonly taskId: string;
  readonly pattern: string;
  readonly capability: string;
  readonly attempt: number;
  readonly idempotencyKey: string;
  readonly corrId: string | null;
  readonly metadata: Record<string, unknown>;
  /** Headers as received (corr id, traceparent, …). */
  readonly headers: Headers;
  /** Aborts when the orchestrator's timeout for this attempt has passed or the agent stops. */
  readonly signal: AbortSignal;
  /** Publishes an enriched signal as this agent (see {@link RemoteAgent.publishEnriched}). */
  publishEnriched(corrId: string, analysis: Record<string, unknown>, options?: EnrichOptions): Promise<void>;
}

/** Handles one task; its result (a JSON value) is the reply. A `ConclaveError` keeps its code. */
export type AgentTaskHandler = (payload: Record<string, unknown>, ctx: AgentTaskContext) => unknown;

/** What a signal handler gets besides the normalized signal. */
export interface AgentSignalContext {
  /** Headers as received (corr id, traceparent, …). */
  readonly headers: Headers;
  /** Aborts when the agent stops and its grace period has passed. */
  readonly signal: AbortSignal;
}

/**
 * Analyses one normalized signal. The analysis it returns is published as this agent's enriched
 * signal for the signal's `corr_id` (with the signal as `source_signal`); `undefined` or `null`
 * publishes nothing (a signal this agent has nothing to say about).
 */
export type AgentSignalHandler = (
  signal: NormalizedSignal,
  ctx: AgentSignalContext,
) => Record<string, unknown> | null | undefined | Promise<Record<string, unknown> | null | undefined>;

/** Options for {@link startAgent}. */
export interface StartAgentOptions {
  /** The agent's name; copies started with the same name share its tasks. */
  name: string;
  capabilities: string[];
  handler: AgentTaskHandler;
  /**
   * Analyses every normalized signal on `signals.normalized` (each one reaches one copy of this
   * agent: the copies share the queue group `signals-<name>`) and publishes the analysis on
   * `signals.enriched.<name>`, for the coordinator to join. Absent, the agent serves tasks only.
   */
  onSignal?: AgentSignalHandler;
  /** Called with what a signal handler threw (nothing is published for that signal). */
  onSignalError?: (error: unknown, signal: NormalizedSignal) => void;
  /** NATS server URL(s); default `nats://127.0.0.1:4222`. Ignored with `bus`. */
  servers?: string | string[];
  /** A bus to use instead of connecting (tests run on the in-process bus); the caller closes it. */
  bus?: Bus;
  /** How often to heartbeat; keep it well under the orchestrator's timeout threshold. Default 5000. */
  heartbeatIntervalMs?: number;
  /** Tasks this copy runs at once; more wait their turn. Default 8. */
  concurrency?: number;
  version?: string;
  metadata?: Record<string, unknown>;
  clock?: Clock;
}

/** A running remote agent (one copy). */
export interface RemoteAgent {
  readonly name: string;
  /** This copy's id; heartbeats carry it. */
  readonly instance: string;
  readonly bus: Bus;
  /** Tasks this copy has finished, successfully or not. */
  readonly handled: number;
  /** Normalized signals this copy's `onSignal` has finished, successfully or not. */
  readonly signalsHandled: number;
  /**
   * Publishes `analysis` on `signals.enriched.<name>` in the documents' enriched-signal shape, for
   * the coordinator to join by `corrId`.
   */
  publishEnriched(corrId: string, analysis: Record<string, unknown>, options?: EnrichOptions): Promise<void>;
  /**
   * Stops taking tasks and heartbeating, lets running tasks finish (aborting them after `graceMs`),
   * and closes the connection it opened. Orchestrators take it offline once heartbeats stop.
   */
  stop(graceMs?: number): Promise<void>;
}

function compile(
  options: StartAgentOptions,
): Required<Pick<StartAgentOptions, 'heartbeatIntervalMs' | 'concurrency'>> {
  if (typeof options.handler !== 'function') throw new ValidationError('handler', 'must be a function');
  if (options.onSignal !== undefined && typeof options.onSignal !== 'function') {
    throw new ValidationError('onSignal', 'must be a function when given');
  }
  if (!Array.isArray(options.capabilities) || options.capabilities.length === 0) {
    throw new ValidationError('capabilities', `agent '${options.name}' needs at least one capability`);
  }
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 5_000;
  if (!(heartbeatIntervalMs > 0) || !Number.isFinite(heartbeatIntervalMs)) {
    throw new ValidationError('heartbeatIntervalMs', `must be milliseconds > 0, got ${heartbeatIntervalMs}`);
  }
  const concurrency = options.concurrency ?? 8;
  if (!Number.isSafeInteger(concurrency) || concurrency <= 0) {
    throw new ValidationError('concurrency', `must be a positive integer, got ${concurrency}`);
  }
  return { heartbeatIntervalMs, concurrency };
}

/**
 * Starts one copy of a remote agent: connects to NATS, announces itself on `agents.register`,
 * heartbeats on `agents.heartbeat.<name>`, and serves `agents.<name>.call` in the agent's queue
 * group, so every copy shares the load (and `agents.cap.<capability>` in the capability's group).
 * @remarks `nats` is loaded only when no `bus` is given. A handler past its attempt's deadline is
 * aborted through `ctx.signal` and its late result dropped: the orchestrator has already retried.
 */
export async function startAgent(options: StartAgentOptions): Promise<RemoteAgent> {
  const { heartbeatIntervalMs, concurrency } = compile(options);
  const clock = options.clock ?? systemClock;
  const owned = options.bus === undefined;
  let bus: Bus;
  if (options.bus !== undefined) bus = options.bus;
  else {
    const { NatsBus } = await import('../bus/nats-bus.ts');
    bus = await NatsBus.connect({
      name: `agent-${options.name}`,
      ...(options.servers === undefined ? {} : { servers: options.servers }),
    });
  }
  const instance = `${options.name}-${randomUUID().slice(0, 8)}`;
  const announcement: AgentAnnouncement = {
    name: options.name,
    capabilities: [...options.capabilities],
    instance,
    concurrency,
    ...(options.version === undefined ? {} : { version: options.version }),
    ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
  };
  const version = options.version ?? '1.0.0';
  const publishEnriched = (corrId: string, analysis: Record<string, unknown>, opts?: EnrichOptions) => {
    const headers: Headers = { [HEADER.corrId]: corrId };
    // Published from a handler, the enriched signal continues the trace of the work it answers.
    if (tracingEnabled()) injectHeaders(headers);
    return bus.publish(
      `signals.enriched.${options.name}`,
      enrichedSignal(options.name, version, corrId, analysis, clock.now(), opts),
      { headers, msgId: `enriched.${options.name}.${corrId}` },
    );
  };
  const slots = new Slots(concurrency);
  const running = new Set<AbortController>();
  let handled = 0;
  let signalsHandled = 0;
  let stopping = false;

  const runTask = (body: AgentCallBody, msg: BusMessage, signal: AbortSignal): unknown =>
    options.handler(body.payload, {
      taskId: body.task_id,
      pattern: body.pattern,
      capability: body.capability,
      attempt: body.attempt,
      idempotencyKey: body.idempotency_key,
      corrId: body.corr_id,
      metadata: body.metadata,
      headers: msg.headers,
      signal,
      publishEnriched,
    });
  /** {@link runTask} in an `agent.task` span continuing the caller's `agent.call` span. */
  const runTaskInSpan = (body: AgentCallBody, msg: BusMessage, signal: AbortSignal): Promise<unknown> =>
    withSpan(
      'agent.task',
      {
        'conclave.agent': options.name,
        'conclave.task_id': body.task_id,
        'conclave.pattern': body.pattern,
        'conclave.attempt': body.attempt,
        ...(body.corr_id === null ? {} : { 'conclave.corr_id': body.corr_id }),
      },
      async () => await runTask(body, msg, signal),
      extractContext(msg.headers),
    );

  const serve = async (msg: BusMessage): Promise<void> => {
    let body: AgentCallBody;
    try {
      body = parseCallBody(msg.data);
    } catch (err) {
      await reply(msg, failure(err));
      return;
    }
    const controller = new AbortController();
    const deadline = clock.setTimeout(
      () => controller.abort(new ConclaveError('TIMEOUT', `task ${body.task_id} passed its deadline`)),
      body.timeout_ms,
    );
    running.add(controller);
    let out: AgentCallReply;
    try {
      await slots.acquire(controller.signal);
      try {
        // A call carrying `traceparent` is handled in the trace it came from.
        const result: unknown = await (tracingEnabled() && msg.headers[HEADER.traceparent] !== undefined
          ? runTaskInSpan(body, msg, controller.signal)
          : runTask(body, msg, controller.signal));
        out = { ok: true, result: result === undefined ? null : result };
      } finally {
        slots.release();
      }
    } catch (err) {
      out = failure(err);
    } finally {
      clock.clearTimeout(deadline);
      running.delete(controller);
    }
    handled++;
    await reply(msg, out);
  };
  const reply = (msg: BusMessage, data: AgentCallReply): Promise<void> =>
    bus.respond(msg, data).catch(() => undefined); // the requester may be gone; it retries on its own

  const enrich = async (
    onSignal: AgentSignalHandler,
    signal: NormalizedSignal,
    msg: BusMessage,
    abort: AbortSignal,
  ): Promise<void> => {
    const analysis = await onSignal(signal, { headers: msg.headers, signal: abort });
    if (analysis !== undefined && analysis !== null) {
      await publishEnriched(signal.corr_id, analysis, { sourceSignal: signal });
    }
  };
  /** {@link enrich} in an `agent.enrich` span continuing the normalized signal's trace. */
  const enrichInSpan = (
    onSignal: AgentSignalHandler,
    signal: NormalizedSignal,
    msg: BusMessage,
    abort: AbortSignal,
  ): Promise<void> =>
    withSpan(
      'agent.enrich',
      { 'conclave.agent': options.name, 'conclave.corr_id': signal.corr_id },
      () => enrich(onSignal, signal, msg, abort),
      extractContext(msg.headers),
    );
  const analyse = async (onSignal: AgentSignalHandler, msg: BusMessage): Promise<void> => {
    let signal: NormalizedSignal;
    try {
      signal = parseSignal(msg.data);
    } catch {
      return; // not a normalized signal: nothing an agent can analyse
    }
    const controller = new AbortController();
    running.add(controller);
    try {
      await slots.acquire(controller.signal);
      try {
        await (tracingEnabled() && msg.headers[HEADER.traceparent] !== undefined
          ? enrichInSpan(onSignal, signal, msg, controller.signal)
          : enrich(onSignal, signal, msg, controller.signal));
      } finally {
        slots.release();
      }
    } catch (err) {
      options.onSignalError?.(err, signal);
    } finally {
      running.delete(controller);
      signalsHandled++;
    }
  };
  const onSignal = options.onSignal;

  const subs: Subscription[] = [
    bus.subscribe(AGENT_SUBJECTS.call(options.name), serve, { queue: AGENT_SUBJECTS.queue(options.name) }),
    // Capability subjects too, when the capability is a plain dotted name (no wildcards, no spaces).
    ...options.capabilities
      .filter((c) => /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(c))
      .map((c) =>
        bus.subscribe(AGENT_SUBJECTS.capability(c), serve, { queue: AGENT_SUBJECTS.capabilityQueue(c) }),
      ),
    ...(onSignal === undefined
      ? []
      : [
          bus.subscribe(SIGNALS_SUBJECT, (msg) => analyse(onSignal, msg), {
            queue: `signals-${options.name}`,
          }),
        ]),
  ];
  await bus.publish(AGENT_SUBJECTS.register, announcement);
  let timer: TimerHandle | undefined;
  const beat = (): void => {
    timer = clock.setTimeout(() => {
      if (stopping) return;
      beat();
      bus.publish(AGENT_SUBJECTS.heartbeat(options.name), announcement).catch(() => undefined);
    }, heartbeatIntervalMs);
  };
  beat();

  return {
    name: options.name,
    instance,
    bus,
    get handled() {
      return handled;
    },
    get signalsHandled() {
      return signalsHandled;
    },
    publishEnriched,
    stop: async (graceMs = 5_000) => {
      if (stopping) return;
      stopping = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      await Promise.all(subs.map((sub) => sub.unsubscribe()));
      const start = clock.now();
      while (running.size > 0 && clock.now() - start < graceMs) {
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 10));
      }
      for (const c of running)
        c.abort(new ConclaveError('SHUTTING_DOWN', `agent '${options.name}' is stopping`));
      if (owned) await bus.close();
    },
  };
}

/** Where normalized signals arrive for every agent to analyse. */
const SIGNALS_SUBJECT = 'signals.normalized';

function failure(err: unknown): AgentCallReply {
  if (isConclaveError(err))
    return { ok: false, error: { code: err.code, message: err.message, retryable: err.retryable } };
  const message = err instanceof Error ? err.message : String(err);
  return { ok: false, error: { code: 'AGENT_ERROR', message, retryable: true } };
}
