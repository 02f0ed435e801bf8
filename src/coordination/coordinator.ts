/**
 * The signal coordinator: fans enriched signals in by correlation id, decides once per id (when
 * the required agents are in, or at the deadline), routes, fans the decision out and audits it.
 */
import { HEADER, type DeliveredMessage, type Headers, type PublishOptions } from '../bus/bus.ts';
import { sleep, type TimerHandle } from '../core/clock.ts';
import { ValidationError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { deepFreeze, sealJson } from '../core/immutable.ts';
import { TypedEmitter } from '../core/typed-emitter.ts';
import type { CorrelationSnapshot, JoinPolicy } from '../state/shared-state.ts';
import { buildAuditEntry, buildDecision } from './decision.ts';
import { resolveFanIn, type FanInPolicy } from './fan-in-policy.ts';
import type { PolicyOutcome } from './policy.ts';
import type { StagedOutcome } from './stages.ts';
import { applyRoute, buildRoutingContext } from './routing-rules.ts';
import { checkEnriched, type Decision, type EnrichedSignal } from './schemas.ts';
export type * from './coordinator-types.ts';
import type {
  CoordinatorDeps,
  CoordinatorEvents,
  CoordinatorOptions,
  CoordinatorStats,
  IngestResult,
} from './coordinator-types.ts';
import { COORDINATION_SUBJECTS as S, publishWithRetry, type RetryOptions } from './sinks.ts';
import {
  extractContext,
  injectHeaders,
  runInContext,
  tracingEnabled,
  withSpan,
  type Span,
} from '../telemetry/spans.ts';

interface ResolvedFanIn {
  readonly fanIn: FanInPolicy;
  readonly join: JoinPolicy;
}

interface Pending {
  readonly timer: TimerHandle;
  readonly fanIn: FanInPolicy;
  readonly firstAtMs: number;
}

/** Resolved fan-in policies kept, by instrument and signal type, before the cache starts over. */
const FAN_IN_CACHE_MAX = 10_000;
const DEFAULT_RETRY: RetryOptions = { attempts: 3, baseDelayMs: 50 };
/** How long a process finishing a crashed decider's decision holds it, and when a waiting one retries. */
const RECOVERY_LEASE_MS = 30_000;
const ACTOR = 'coordinator';
const TRADES = new Set<Decision['action']>(['trade', 'trade_with_caution']);

/** Ingests `raw` (a plain function, so the untraced delivery path allocates no closure). */
function ingestInto(coordinator: SignalCoordinator, raw: unknown): Promise<IngestResult> {
  return coordinator.ingest(raw);
}

/** The fan-in / fan-out coordinator; see the file comment. One instance per process. */
export class SignalCoordinator extends TypedEmitter<CoordinatorEvents> {
  readonly #o: CoordinatorOptions;
  readonly #d: CoordinatorDeps;
  readonly #pending = new Map<string, Pending>();
  readonly #fanInCache = new Map<string, ResolvedFanIn>();
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #stats: Omit<CoordinatorStats, 'pendingDeadlines'> = {
    received: 0,
    rejected: 0,
    duplicates: 0,
    late: 0,
    decisions: 0,
    partial: 0,
    insufficient: 0,
    timeouts: 0,
    deliveryFailures: 0,
    deliveriesRequeued: 0,
  };
  #unsubscribe: (() => Promise<void>) | undefined;

  constructor(options: CoordinatorOptions, deps: CoordinatorDeps) {
    super();
    this.#o = options;
    this.#d = deps;
    this.#checkFanIn();
  }

  /** Consumes `signals.enriched.>` with a durable consumer; acks after handling, terms a bad signal. */
  async start(): Promise<void> {
    const stream = this.#o.stream ?? 'SIGNALS_ENRICHED';
    await this.#d.bus.ensureStream({ name: stream, subjects: [S.enriched] });
    const sub = await this.#d.bus.consume(
      { stream, durable: this.#o.durable ?? 'orchestrator-consumer', ackWaitMs: 30_000, maxDeliver: 5 },
      (msg) => this.#onDelivery(msg),
    );
    this.#unsubscribe = () => sub.unsubscribe();
  }

  /** Stops consuming and cancels pending deadlines; waits for decisions already under way. */
  async close(): Promise<void> {
    await this.#unsubscribe?.();
    for (const p of this.#pending.values()) this.#d.clock.clearTimeout(p.timer);
    this.#pending.clear();
    await Promise.allSettled([...this.#inflight]);
  }

  /** Handles one enriched signal (as the consumer does); resolves once any decision it completes is out. */
  async ingest(raw: unknown): Promise<IngestResult> {
    let signal: EnrichedSignal;
    try {
      signal = checkEnriched(raw);
      // Agent outputs are immutable from here on: frozen in place, and when plain JSON (as every
      // signal off a bus is) sealed, so the shared state may keep it rather than a copy.
      sealJson(signal);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await this.#reject(raw, err);
      return 'rejected';
    }
    const { corr_id: corrId, agent_name: agent } = signal;
    this.#stats.received++;
    this.emit('signal_received', agent);
    const { fanIn, join } = this.#resolve(signal);
    const joined = await this.#d.state.joinSignal(corrId, agent, signal, join);
    if (joined.outcome === 'duplicate') {
      this.#stats.duplicates++;
      this.emit('duplicate', corrId, agent);
      return 'duplicate';
    }
    if (joined.outcome === 'late') {
      this.#stats.late++;
      this.emit('late', corrId, agent);
      await this.#audit('late_signal', corrId, { agent });
      return 'late';
    }
    const now = this.#d.clock.now();
    if (joined.agents.length === 1 && !this.#pending.has(corrId) && !joined.claimed) {
      const timer = this.#d.clock.setTimeout(
        () => this.#track(corrId, this.#deadline(corrId)),
        fanIn.decisionTimeoutMs,
      );
      this.#pending.set(corrId, { timer, fanIn, firstAtMs: now });
    }
    if (!joined.claimed) return 'stored';
    const pending = this.#pending.get(corrId);
    if (pending !== undefined) this.#d.clock.clearTimeout(pending.timer);
    this.#pending.delete(corrId);
    const firstAt = joined.firstAt ?? pending?.firstAtMs ?? now;
    await this.#decide(corrId, joined.signals ?? {}, fanIn, firstAt, false);
    return 'decided';
  }

  /** The fan-in policy for a signal: the configured profile with its instrument and signal-type overrides. */
  fanInFor(signal: EnrichedSignal): FanInPolicy {
    return this.#resolve(signal).fanIn;
  }

  /** The fan-in policy for a signal and the join policy the shared state applies, cached. */
  #resolve(signal: EnrichedSignal): ResolvedFanIn {
    const { instrument, signal_type: type } = signal.source_signal;
    const key = `${instrument}\u0000${type ?? ''}`;
    let resolved = this.#fanInCache.get(key);
    if (resolved === undefined) {
      const fanIn = resolveFanIn(this.#o.fanIn, this.#d.policy.requiredAgents ?? [], instrument, type);
      const join = {
        required: fanIn.requiredAgents,
        minAgents: fanIn.requiredAgents.length,
        ttlMs: fanIn.stateTtlMs,
      };
      resolved = { fanIn, join };
      if (this.#fanInCache.size >= FAN_IN_CACHE_MAX) this.#fanInCache.clear();
      this.#fanInCache.set(key, resolved);
    }
    return resolved;
  }

  /** Resolves every configured combination once, so a bad override fails at construction, not on a signal. */
  #checkFanIn(): void {
    const agents = this.#d.policy.requiredAgents ?? [];
    const instruments = [undefined, ...Object.keys(this.#o.fanIn.byInstrument ?? {})];
    const types = [undefined, ...Object.keys(this.#o.fanIn.bySignalType ?? {})];
    for (const instrument of instruments) {
      for (const type of types) resolveFanIn(this.#o.fanIn, agents, instrument, type);
    }
  }

  /** Where a correlation stands in the shared state. */
  getCorrelation(corrId: string): Promise<CorrelationSnapshot | undefined> {
    return this.#d.state.getCorrelation(corrId);
  }

  /** A snapshot of the counters. */
  stats(): CoordinatorStats {
    return { ...this.#stats, pendingDeadlines: this.#pending.size };
  }

  async #onDelivery(msg: DeliveredMessage): Promise<void> {
    try {
      // A signal carrying `traceparent` is handled (and decided) in the trace it came from.
      const result = await (tracingEnabled() && msg.headers[HEADER.traceparent] !== undefined
        ? runInContext(extractContext(msg.headers), ingestInto, this, msg.data)
        : this.ingest(msg.data));
      if (result === 'rejected') msg.term('invalid enriched signal');
      else if (result === 'late' && msg.deliveryCount > 1 && !(await this.#finishDecided(msg.data)))
        // Another process holds the recovery lease: wait its length, by which time the holder has
        // finished (the retry finds the decision audited) or died (its lease has run out). Sooner
        // would spend the message's deliveries, and one that runs out of them is dead-lettered
        // with its correlation never decided.
        msg.nak(RECOVERY_LEASE_MS);
      else msg.ack();
    } catch {
      msg.nak(); // state or store trouble: let the bus redeliver
    }
  }

  /**
   * A redelivered signal found its correlation decided: make sure that decision is out. False when
   * another process is finishing it (try again later).
   * @remarks The claim is recorded in the shared state before the decision is published and
   * audited, so a decider killed in between leaves a claimed correlation with no outcome; its
   * unacked signals come back after the ack wait. The decision is out once audited (the audit comes
   * after the publish), so a redelivery that finds no audited decision decides again over the
   * stored signals, under a lease so only one process does. The stream drops a second publish by
   * its message id, `decision:<corr_id>`.
   */
  async #finishDecided(raw: unknown): Promise<boolean> {
    const signal = checkEnriched(raw);
    const corrId = signal.corr_id;
    if (await this.#audited(corrId)) return true;
    const key = `decide:${corrId}`;
    const lease = await this.#d.state.acquireLock(key, RECOVERY_LEASE_MS);
    if (lease === undefined) return false;
    try {
      if (await this.#audited(corrId)) return true;
      const snapshot = await this.#d.state.getCorrelation(corrId);
      if (snapshot?.status !== 'decided') {
        await this.#audit('decision_unrecoverable', corrId, { status: snapshot?.status ?? 'unknown' });
        return true;
      }
      const timedOut = snapshot.decidedReason === 'deadline';
      await this.#decide(corrId, snapshot.signals, this.fanInFor(signal), snapshot.firstAt, timedOut, true);
      return true;
    } finally {
      await this.#d.state.releaseLock(key, lease.token);
    }
  }

  async #audited(corrId: string): Promise<boolean> {
    if (this.#o.auditDecisions === false) return false;
    return (await this.#d.store.audit.list({ kind: 'decision', corrId, limit: 1 })).length > 0;
  }

  #track(corrId: string, work: Promise<unknown>): void {
    const p = work
      .catch((err: unknown) => this.emit('decision_failed', corrId, err))
      .finally(() => this.#inflight.delete(p));
    this.#inflight.add(p);
  }

  async #reject(raw: unknown, err: ValidationError): Promise<void> {
    const record = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    const agent = typeof record['agent_name'] === 'string' ? record['agent_name'] : undefined;
    const corrId = typeof record['corr_id'] === 'string' ? record['corr_id'] : null;
    this.#stats.rejected++;
    this.emit('signal_rejected', err.message, agent);
    await this.#audit('signal_rejected', corrId, { reason: err.message, agent: agent ?? null });
  }

  async #deadline(corrId: string): Promise<void> {
    const pending = this.#pending.get(corrId);
    this.#pending.delete(corrId);
    if (pending === undefined) return;
    const claim = await this.#d.state.claimDecision(corrId, 'deadline');
    if (!claim.claimed) return; // another process decided first
    this.#stats.timeouts++;
    this.emit('timeout', corrId);
    await this.#decide(corrId, claim.signals, pending.fanIn, pending.firstAtMs, true);
  }

  async #decide(
    corrId: string,
    stored: Record<string, unknown>,
    fanIn: FanInPolicy,
    firstAtMs: number,
    timedOut: boolean,
    recovering = false,
    span?: Span,
  ): Promise<void> {
    if (span === undefined && tracingEnabled()) {
      return this.#decideInSpan(corrId, stored, fanIn, firstAtMs, timedOut, recovering);
    }
    const started = this.#d.clock.now();
    const key = `decision:${corrId}`; // the idempotency key, and the decision's message id
    const first = await this.#d.state.remember(key, this.#o.idempotencyTtlMs);
    if (!first && !recovering) return;
    if (this.#o.rateLimitRps !== undefined) await this.#waitForToken(this.#o.rateLimitRps);
    const signals = deepFreeze(stored as Record<string, EnrichedSignal>);
    const agents = Object.keys(signals);
    const missing = fanIn.requiredAgents.filter((a) => !Object.hasOwn(signals, a));
    const partial = missing.length > 0;
    let raw: PolicyOutcome;
    let staged: StagedOutcome | undefined;
    if (agents.length < fanIn.minAgents) {
      raw = {
        action: 'insufficient_data',
        reason: `insufficient_agents: missing ${missing.join(', ')}`,
        confidence: 0,
      };
    } else if (this.#d.stages === undefined) {
      raw = this.#d.policy.decide(signals, { partial, missing });
    } else {
      staged = await this.#d.stages.run(corrId, signals, { partial, missing });
      raw = staged.outcome;
    }
    const match = this.#d.router.route(buildRoutingContext(signals, raw));
    const decidedAtMs = this.#d.clock.now();
    const decision = deepFreeze(
      buildDecision({
        corrId,
        decisionId: newId('dec', decidedAtMs),
        policy: this.#d.policy.name,
        outcome: applyRoute(raw, match),
        route: match.route,
        partial,
        missingAgents: missing,
        contributingAgents: agents,
        firstSignalAtMs: firstAtMs,
        decidedAtMs,
        stages: staged?.stages,
        workflowId: staged?.workflowId,
      }),
    );
    const headers: Headers = { [HEADER.corrId]: corrId };
    if (span !== undefined) {
      span.setAttributes({
        'conclave.action': decision.action,
        'conclave.policy': decision.policy,
        'conclave.partial': partial,
        'conclave.latency_ms': decision.timings.latency_ms,
      });
      injectHeaders(headers); // every publish below continues the decision's trace
    }
    await this.#publishDecision(key, decision, headers);
    this.#count(decision);
    this.emit('decision', decision.action, decision.timings.latency_ms, decision);
    const pattern = this.#d.stages !== undefined ? 'sequential' : partial ? 'fan_in_partial' : 'fan_in';
    const entry = buildAuditEntry(decision, signals, this.#o.version ?? '0.1.0', {
      processingTimeMs: Math.max(0, this.#d.clock.now() - started),
      pattern,
      timeoutOccurred: timedOut,
    });
    const options: PublishOptions = { headers };
    const work: Promise<void>[] = [];
    if (TRADES.has(decision.action))
      work.push(this.#deliver(corrId, decision.route.subject, decision, options));
    work.push(
      this.#deliver(corrId, S.riskMonitor, decision, options),
      this.#deliver(corrId, S.audit, decision, options),
      this.#deliver(corrId, S.portfolio, decision, options),
      this.#deliver(corrId, S.auditTrail, entry, options),
    );
    if (this.#o.auditDecisions !== false)
      // One id per decision of a correlation (its corr_id and first signal time), so a recovery
      // that re-decides while a slow first decider is still at work cannot audit it twice.
      work.push(
        this.#audit('decision', corrId, entry, `aud_decision_${firstAtMs}_${corrId}`).catch(
          this.#auditFailed,
        ),
      );
    await Promise.all(work); // none rejects: deliveries handle their failures, the audit's is counted
  }

  /** Counts a decision's audit entry the store refused (an arrow, so passing it allocates nothing). */
  readonly #auditFailed = (): void => {
    this.#stats.deliveryFailures++;
  };

  /**
   * The decision itself, with the message id `decision:<corr_id>` (`msgId`) so the stream keeps
   * one per id however often it is published. Retried in place; if it still fails the decision fails before
   * it is audited, so the signal is redelivered and {@link SignalCoordinator.#finishDecided}
   * publishes it (a delivery queue would publish it without its id, or lose it with the process).
   */
  async #publishDecision(msgId: string, decision: Decision, headers: Headers): Promise<void> {
    const retry = this.#o.retry ?? DEFAULT_RETRY;
    const options: PublishOptions = { headers, msgId };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#d.bus.publish(S.decision, decision, options);
        return;
      } catch (error) {
        if (attempt >= retry.attempts) throw error;
        await sleep(this.#d.clock, retry.baseDelayMs * 2 ** (attempt - 1));
      }
    }
  }

  /** {@link SignalCoordinator.#decide} under a `decision` span (apart, so `#decide` allocates no closure). */
  #decideInSpan(
    corrId: string,
    stored: Record<string, unknown>,
    fanIn: FanInPolicy,
    firstAtMs: number,
    timedOut: boolean,
    recovering: boolean,
  ): Promise<void> {
    return withSpan('decision', { 'conclave.corr_id': corrId }, (span) =>
      this.#decide(corrId, stored, fanIn, firstAtMs, timedOut, recovering, span),
    );
  }

  /**
   * One fan-out delivery. One sink failing never stops the others: a failed publish goes to the
   * delivery queue (retries, then the dead-letter queue) when there is one, else it is retried in
   * place; a delivery that is finally lost is counted and audited with its subject and error.
   */
  async #deliver(corrId: string, subject: string, data: unknown, options: PublishOptions): Promise<void> {
    try {
      await this.#d.bus.publish(subject, data, options);
    } catch (error) {
      await this.#redeliver(corrId, subject, data, options.headers ?? {}, error);
    }
  }

  /** The rest of {@link SignalCoordinator.#deliver} once the first publish failed (off the hot path). */
  async #redeliver(
    corrId: string,
    subject: string,
    data: unknown,
    headers: Headers,
    first: unknown,
  ): Promise<void> {
    const queue = this.#d.deliveries;
    let failure: { attempts: number; error: unknown } = { attempts: 1, error: first };
    if (queue === undefined) {
      const retry = this.#o.retry ?? DEFAULT_RETRY;
      if (retry.attempts > 1) {
        await sleep(this.#d.clock, retry.baseDelayMs);
        const r = await publishWithRetry(this.#d.bus, this.#d.clock, subject, data, headers, {
          attempts: retry.attempts - 1,
          baseDelayMs: retry.baseDelayMs * 2,
        });
        if (r.ok) return;
        failure = { attempts: retry.attempts, error: r.error };
      }
    } else {
      try {
        await queue.enqueue({ subject, data, headers, corrId, error: first });
        this.#stats.deliveriesRequeued++;
        this.emit('delivery_requeued', corrId, subject);
        return;
      } catch (queueError) {
        failure = { attempts: 1, error: queueError };
      }
    }
    this.#stats.deliveryFailures++;
    // Never rejects: the decision is out already, and the failure is counted above.
    await this.#audit('delivery_failed', corrId, {
      subject,
      attempts: failure.attempts,
      error: failure.error instanceof Error ? failure.error.message : String(failure.error),
    }).catch(() => undefined);
  }

  #count(decision: Decision): void {
    this.#stats.decisions++;
    if (decision.action === 'insufficient_data') this.#stats.insufficient++;
    else if (decision.partial) this.#stats.partial++;
  }

  async #waitForToken(rps: number): Promise<void> {
    const limit = { ratePerMinute: rps * 60, burst: Math.max(1, rps) };
    for (;;) {
      const waitMs = await this.#d.state.takeTokens('coordinator:decisions', limit);
      if (waitMs === 0) return;
      await sleep(this.#d.clock, waitMs);
    }
  }

  async #audit(kind: string, corrId: string | null, data: unknown, id?: string): Promise<void> {
    const at = this.#d.clock.now();
    await this.#d.store.audit.append({ id: id ?? newId('aud', at), at, kind, corrId, actor: ACTOR, data });
  }
}
