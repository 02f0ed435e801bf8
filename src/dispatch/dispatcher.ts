import type { AgentRequest } from '../agents/transport.ts';
import type { AgentRegistry } from '../agents/registry.ts';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.ts';
import { ConclaveError, ValidationError, toConclaveError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { systemRandom, type Random } from '../core/random.ts';
import { FINAL_TASK_STATUSES, type TaskRecord, type TaskStatus } from '../core/task.ts';
import { TypedEmitter } from '../core/typed-emitter.ts';
import type { Store } from '../store/store.ts';
import { AgentPool } from './agent-pool.ts';
import type { AgentSlot } from './agent-slot.ts';
import { AttemptContext } from './attempt-context.ts';
import { deadLetterFor, newLive, newTaskRecord, type Live } from './live-task.ts';
import { backoffDelayMs } from './backoff.ts';
import { createBalancer } from './balancer.ts';
import type { BreakerSnapshot } from './breaker.ts';
import { DeadlineSweeper } from './deadline-sweeper.ts';
import type {
  DispatcherDeps,
  DispatcherEvents,
  DispatcherOptions,
  DispatcherStats,
  Halt,
  TaskSelector,
} from './dispatcher-types.ts';
import { TaskJournal } from './journal.ts';
import { PriorityQueue } from './priority-queue.ts';
import { TokenBucketLimiter } from './rate-limiter.ts';
import type { Route, RoutingTable } from './routing.ts';
import { checkPayloadSize, parseSubmitInput, type SubmitInput } from './submit-schema.ts';
import { runInContext, tracingEnabled } from '../telemetry/spans.ts';
import { TaskSpans } from '../telemetry/task-spans.ts';

const NO_HEADERS: Record<string, string> = Object.freeze({});

/**
 * Turns tasks into agent calls: routing rule → candidate agents → load balancer → connection
 * limit → rate limit → circuit breaker → call with timeout → retry with backoff → dead-letter
 * queue. Every task is committed before `submit` resolves, and ends exactly once in `completed`,
 * `failed` or `dead_lettered`.
 * @remarks Delivery to agents is at least once: a task whose final state was not yet committed
 * when the process died runs again on restart, with the same `idempotencyKey`.
 */
export class Dispatcher {
  readonly events = new TypedEmitter<DispatcherEvents>();
  readonly #o: DispatcherOptions;
  readonly #store: Store;
  readonly #registry: AgentRegistry;
  readonly #routing: RoutingTable;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #pool: AgentPool;
  readonly #deadlines: DeadlineSweeper<Live>;
  readonly #journal: TaskJournal<Live>;
  readonly #live = new Map<string, Live>();
  readonly #queue = new PriorityQueue<Live>();
  readonly #parked = new Map<string, PriorityQueue<Live>>();
  readonly #wakeTimers = new Map<string, TimerHandle>();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #halts = new Map<string, Halt>();
  #parkedCount = 0;
  #inFlight = 0;
  #retryWaiting = 0;
  #committing = 0;
  #pumping = false;
  #closing = false;
  #idle: (() => void) | null = null;
  /** Created when the first task is submitted with tracing on; null (no cost) otherwise. */
  #spans: TaskSpans | null = null;
  readonly #counts = { submitted: 0, completed: 0, failed: 0, deadLettered: 0 };

  constructor(options: DispatcherOptions, deps: DispatcherDeps) {
    this.#o = options;
    this.#store = deps.store;
    this.#registry = deps.registry;
    this.#routing = deps.routing;
    this.#clock = deps.clock ?? systemClock;
    this.#random = deps.random ?? systemRandom;
    const limiter = deps.limiter ?? new TokenBucketLimiter(options.defaultRateLimit, this.#clock);
    for (const [agent, limit] of Object.entries(options.perAgentRateLimits)) {
      limiter.setLimit(`agent:${agent}`, limit);
    }
    this.#pool = new AgentPool({
      registry: this.#registry,
      balancer: createBalancer(options.balancing),
      limiter,
      breaker: options.breaker,
      clock: this.#clock,
      onBreaker: (agent, t) => {
        this.events.emit('breaker', agent, t);
        if (t.to !== 'open') this.#pump();
        else this.#wakeAfter(`breaker:${agent}`, options.breaker.resetTimeoutMs);
      },
    });
    this.#deadlines = new DeadlineSweeper<Live>(this.#clock, (live) => this.#onTimeout(live));
    this.#journal = new TaskJournal<Live>(this.#store.tasks, {
      maxBatch: options.groupCommitMaxBatch,
      inOrder: this.#store.tasks.writesInOrder,
      onError: (err) => this.events.emit('store_error', err),
      onCommitted: (entries, statuses) => this.#committedStates(entries, statuses),
    });
    this.#unsubscribe.push(this.#registry.on('registered', () => this.#pool.invalidate()));
    this.#unsubscribe.push(this.#registry.on('unregistered', ({ name }) => this.#pool.forget(name)));
    // An agent coming back (heartbeat, enable) may unblock parked tasks.
    this.#unsubscribe.push(this.#registry.on('status', () => this.#pump()));
  }

  /** Picks up tasks a previous process left queued or running; returns how many. */
  async recover(): Promise<number> {
    const left = await this.#store.tasks.listByStatus(['queued', 'running']);
    for (const rec of left) {
      if (this.#live.has(rec.id)) continue;
      let route: Route;
      try {
        route = this.#resolve(rec.pattern);
      } catch (err) {
        const live = newLive(rec, null);
        this.#live.set(rec.id, live);
        this.#finish(live, 'failed', null, toConclaveError(err));
        continue;
      }
      const live = newLive(rec, route);
      this.#live.set(rec.id, live);
      if (rec.status === 'running') {
        rec.status = 'queued';
        rec.updatedAt = this.#clock.now();
        this.#journal.touch(live);
      }
      this.#enqueue(live);
    }
    this.#pump();
    return left.length;
  }

  /**
   * Validates, routes and durably queues a task; resolves with its record once committed.
   * Throws `VALIDATION_FAILED`, `PAYLOAD_TOO_LARGE`, `UNKNOWN_PATTERN`, `AGENT_UNAVAILABLE` (no agent
   * serves it), `QUEUE_FULL` or `SHUTTING_DOWN`; in each case nothing is written.
   * With `requireAvailable`, a task no agent could take now (each serving agent disabled, offline
   * or behind an open circuit) is refused too, with `AGENT_UNAVAILABLE` or `CIRCUIT_OPEN`, rather
   * than queued to wait for one: for callers that would rather hear at once (the REST API).
   */
  async submit(
    input: SubmitInput,
    options: { id?: string; requireAvailable?: boolean } = {},
  ): Promise<TaskRecord> {
    const live = this.#accept(input, options.id ?? newId(), options.requireAvailable === true);
    try {
      await this.#journal.insert(live.rec);
    } catch (err) {
      this.#reject(live);
      throw toConclaveError(err, 'STORE_ERROR');
    }
    const queued = { ...live.rec };
    this.#committed(live);
    return queued;
  }

  /** Submits several tasks in one commit; if any is invalid, none is written. */
  async submitMany(inputs: readonly SubmitInput[]): Promise<TaskRecord[]> {
    const accepted: Live[] = [];
    try {
      inputs.forEach((input, i) => {
        try {
          accepted.push(this.#accept(input, newId()));
        } catch (err) {
          const e = toConclaveError(err);
          throw new ConclaveError(e.code, `tasks[${i}]: ${e.message}`, {
            details: { ...e.details, index: i },
          });
        }
      });
      await this.#journal.insertMany(accepted.map((l) => l.rec));
    } catch (err) {
      for (const live of accepted) this.#reject(live);
      throw toConclaveError(err, 'STORE_ERROR');
    }
    const queued = accepted.map((l) => ({ ...l.rec }));
    for (const live of accepted) this.#committed(live);
    return queued;
  }

  /** The task's current record: live state first, then the store. */
  async get(taskId: string): Promise<TaskRecord | undefined> {
    const live = this.#live.get(taskId);
    if (live !== undefined) return { ...live.rec };
    return this.#store.tasks.get(taskId);
  }

  /** Resolves with the task's record once it has reached a final state and that is committed. */
  async wait(taskId: string): Promise<TaskRecord> {
    const live = this.#live.get(taskId);
    if (live !== undefined) return new Promise((resolve) => (live.waiters ??= []).push(resolve));
    const rec = await this.#store.tasks.get(taskId);
    if (rec === undefined) throw new ConclaveError('NOT_FOUND', `task '${taskId}' does not exist`);
    return rec;
  }

  /** Submits and waits for the outcome. */
  async run(input: SubmitInput): Promise<TaskRecord> {
    const rec = await this.submit(input);
    return this.wait(rec.id);
  }

  /**
   * Cancels a task that has not finished; it ends `failed` with `CANCELLED` at once. A running
   * one's agent gets its abort signal (and whatever its call returns later is ignored); one still
   * being committed ends as soon as its insert commits. False when there is nothing to cancel.
   */
  cancel(taskId: string, reason = 'cancelled'): boolean {
    const live = this.#live.get(taskId);
    if (live === undefined || live.state === 'done') return false;
    live.cancelReason = reason;
    const error = new ConclaveError('CANCELLED', `task ${taskId} cancelled: ${reason}`);
    switch (live.state) {
      case 'queued':
        this.#queue.removeWhere((l) => l === live);
        break;
      case 'parked':
        this.#parkedCount -= this.#parked.get(live.route.key)?.removeWhere((l) => l === live).length ?? 0;
        break;
      case 'retry_wait':
        if (live.timer !== null) this.#clock.clearTimeout(live.timer);
        live.timer = null;
        this.#retryWaiting--;
        break;
      case 'running':
        // The agent gets its abort signal; the task ends now, whatever the call does later.
        live.context?.abort(error);
        this.#settle(live, live.attemptSeq, error, undefined);
        return true;
      case 'committing':
        return true; // ends as soon as its insert commits
    }
    this.#finish(live, 'failed', null, error);
    return true;
  }

  /**
   * Cancels every unfinished task the selector matches (queued, parked, waiting to retry or
   * running); returns how many.
   */
  cancelMatching(selector: TaskSelector, reason: string): number {
    checkSelector(selector);
    const matching = [...this.#live.values()].filter((l) => l.state !== 'done' && matches(selector, l.rec));
    // Marked first, so that a slot freed by one cancellation is not given to another of them.
    for (const live of matching) live.cancelReason = reason;
    let cancelled = 0;
    for (const live of matching) {
      // One may already have ended, cancelled by the pump when a slot freed.
      const ended = live.state === 'done' || live.state === 'released';
      if (ended || this.cancel(live.rec.id, reason)) cancelled++;
    }
    return cancelled;
  }

  /**
   * Stops dispatch for the selected tasks at once: new ones are refused with `HALTED`, unfinished
   * ones are cancelled (a stale order must not go out after the halt is lifted), until `resume`.
   * @remarks A halt lives in this dispatcher; whoever halts (the emergency-stop workflow) records
   * it durably and halts again on start.
   */
  halt(selector: TaskSelector, reason: string): { halt: Halt; cancelled: number } {
    checkSelector(selector);
    const halt: Halt = { id: newId('halt'), selector, reason, since: this.#clock.now() };
    this.#halts.set(halt.id, halt);
    const cancelled = this.cancelMatching(selector, `halted: ${reason}`);
    this.events.emit('halted', halt, cancelled);
    return { halt, cancelled };
  }

  /** Lifts a halt; `NOT_FOUND` if there is no such halt. */
  resume(haltId: string): Halt {
    const halt = this.#halts.get(haltId);
    if (halt === undefined) throw new ConclaveError('NOT_FOUND', `no halt '${haltId}' is in force`);
    this.#halts.delete(haltId);
    this.events.emit('resumed', halt);
    this.#pump();
    return halt;
  }

  /** The halts in force. */
  halts(): Halt[] {
    return [...this.#halts.values()];
  }

  /** Live counters. */
  stats(): DispatcherStats {
    const q = this.#queue;
    const byPriority = { 1: q.sizeAt(1), 2: q.sizeAt(2), 3: q.sizeAt(3), 4: q.sizeAt(4), 5: q.sizeAt(5) };
    for (const parked of this.#parked.values())
      for (const p of [1, 2, 3, 4, 5] as const) byPriority[p] += parked.sizeAt(p);
    return {
      queued: q.size + this.#parkedCount,
      queuedByPriority: byPriority,
      parked: this.#parkedCount,
      inFlight: this.#inFlight,
      retryWaiting: this.#retryWaiting,
      awaitingCommit: this.#committing,
      ...this.#counts,
    };
  }

  /** Each known agent's circuit breaker. */
  breakers(): Record<string, BreakerSnapshot> {
    return this.#pool.breakers();
  }

  /** Closes an agent's circuit by hand (operator action). */
  resetBreaker(agent: string): void {
    this.#pool.slot(agent).breaker.reset();
    this.#pump();
  }

  /** Calls in flight to one agent. */
  inFlightFor(agent: string): number {
    return this.#pool.inFlightFor(agent);
  }

  /** Resolves when everything written so far is committed. */
  flush(): Promise<void> {
    return this.#journal.flush();
  }

  /**
   * Stops intake, lets calls in flight finish for up to `graceMs`, then aborts the rest. Tasks not
   * finished stay `queued` in the store and resume on the next start.
   */
  async close(graceMs = 10_000): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    for (const off of this.#unsubscribe) off();
    for (const t of this.#wakeTimers.values()) this.#clock.clearTimeout(t);
    if (this.#inFlight > 0 && graceMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = this.#clock.setTimeout(resolve, graceMs);
        this.#idle = () => {
          this.#clock.clearTimeout(timer);
          resolve();
        };
      });
    }
    this.#deadlines.close();
    for (const live of this.#live.values()) {
      if (live.timer !== null) this.#clock.clearTimeout(live.timer);
      if (live.state === 'running') {
        // Unfinished: back to queued in the store, to resume on the next start.
        live.context?.abort(new ConclaveError('SHUTTING_DOWN', 'the dispatcher is shutting down'));
        live.state = 'done';
        live.rec.status = 'queued';
        live.rec.updatedAt = this.#clock.now();
        this.#journal.touch(live);
      }
    }
    this.#spans?.close();
    await this.#journal.close();
  }

  // ---- intake ---------------------------------------------------------------------------------

  #accept(input: SubmitInput, id: string, requireAvailable = false): Live {
    if (this.#closing)
      throw new ConclaveError('SHUTTING_DOWN', 'the dispatcher is shutting down; not accepting tasks');
    if (this.#live.has(id)) {
      throw new ConclaveError('CONFLICT', `task '${id}' already exists`, { details: { taskId: id } });
    }
    const task = parseSubmitInput(input);
    checkPayloadSize(task.payload, this.#o.maxPayloadBytes);
    const route = this.#resolve(task.pattern);
    if (this.#halts.size > 0) this.#refuseIfHalted(task.pattern, route.target);
    if (this.#pool.candidatesFor(route).length === 0) {
      throw new ConclaveError(
        'AGENT_UNAVAILABLE',
        `pattern '${task.pattern}': no agent is registered for ${route.kind} '${route.target}'`,
        { details: { field: 'pattern', pattern: task.pattern, target: route.target } },
      );
    }
    if (requireAvailable) {
      const unavailable = this.#pool.unavailableNow(route);
      if (unavailable !== undefined) throw unavailable;
    }
    const waiting = this.#queue.size + this.#parkedCount + this.#committing;
    if (waiting >= this.#o.maxQueueSize) {
      throw new ConclaveError(
        'QUEUE_FULL',
        `queue is full (${waiting} of ${this.#o.maxQueueSize} tasks waiting)`,
        {
          details: { limit: this.#o.maxQueueSize },
        },
      );
    }
    const rec = newTaskRecord(id, task, route, this.#o, this.#clock.now());
    const live = newLive(rec, route);
    live.state = 'committing';
    this.#live.set(id, live);
    this.#committing++;
    if (tracingEnabled()) (this.#spans ??= new TaskSpans()).begin(rec);
    return live;
  }

  #haltOf(task: { pattern: string; target: string }): Halt | undefined {
    for (const halt of this.#halts.values()) if (matches(halt.selector, task)) return halt;
    return undefined;
  }

  #refuseIfHalted(pattern: string, target: string): void {
    for (const halt of this.#halts.values()) {
      if (matches(halt.selector, { pattern, target })) {
        throw new ConclaveError('HALTED', `pattern '${pattern}' is halted: ${halt.reason}`, {
          details: { haltId: halt.id, since: halt.since },
        });
      }
    }
  }

  #reject(live: Live): void {
    this.#committing--;
    this.#spans?.end(live.rec, 'rejected');
    this.#live.delete(live.rec.id);
  }

  #committed(live: Live): void {
    this.#committing--;
    this.#counts.submitted++;
    if (this.events.has('queued')) this.events.emit('queued', live.rec);
    if (live.cancelReason !== null) {
      this.#finish(
        live,
        'failed',
        null,
        new ConclaveError('CANCELLED', `task cancelled: ${live.cancelReason}`),
      );
      return;
    }
    this.#enqueue(live);
    this.#pump();
  }

  #resolve(pattern: string): Route {
    return this.#routing.resolve(pattern, (c) => this.#registry.byCapability(c).length > 0);
  }

  // ---- scheduling -----------------------------------------------------------------------------

  #enqueue(live: Live): void {
    live.state = 'queued';
    this.#queue.push(live, live.rec.priority);
  }

  #pump(): void {
    if (this.#pumping || this.#closing) return;
    this.#pumping = true;
    try {
      if (this.#parkedCount > 0) this.#unpark();
      while (this.#inFlight < this.#o.maxInFlight) {
        const live = this.#queue.pop();
        if (live === undefined) break;
        const outcome = this.#tryStart(live);
        if (outcome === 'busy') this.#park(live);
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** Tasks whose agents were at capacity go first when capacity frees. */
  #unpark(): void {
    for (const [key, parked] of this.#parked) {
      while (parked.size > 0 && this.#inFlight < this.#o.maxInFlight) {
        const outcome = this.#tryStart(parked.peek()!);
        if (outcome === 'busy') break;
        parked.pop();
        this.#parkedCount--;
      }
      if (parked.size === 0) this.#parked.delete(key);
    }
  }

  #park(live: Live): void {
    const key = live.route.key;
    let parked = this.#parked.get(key);
    if (parked === undefined) this.#parked.set(key, (parked = new PriorityQueue<Live>()));
    parked.push(live, live.rec.priority);
    live.state = 'parked';
    this.#parkedCount++;
  }

  /**
   * Starts an attempt if some candidate agent can take it. `busy`: some agent is healthy but at
   * its connection or rate limit (the task waits); `failed`: none is usable (the attempt failed).
   */
  #tryStart(live: Live): 'started' | 'busy' | 'failed' {
    if (live.cancelReason !== null || (this.#halts.size > 0 && this.#haltOf(live.rec) !== undefined)) {
      const why = live.cancelReason ?? `halted: ${this.#haltOf(live.rec)!.reason}`;
      this.#finish(
        live,
        'failed',
        null,
        new ConclaveError('CANCELLED', `task ${live.rec.id} cancelled: ${why}`),
      );
      return 'failed';
    }
    const picked = this.#pool.pick(live.route);
    switch (picked.kind) {
      case 'slot':
        this.#startAttempt(live, picked.slot);
        return 'started';
      case 'busy':
        if (picked.rateWaitMs > 0) this.#wakeAfter(live.route.key, picked.rateWaitMs);
        return 'busy';
      case 'unavailable':
        live.rec.attempts++;
        this.#afterFailure(live, picked.error);
        return 'failed';
    }
  }

  #wakeAfter(key: string, ms: number): void {
    if (this.#wakeTimers.has(key)) return;
    this.#wakeTimers.set(
      key,
      this.#clock.setTimeout(() => {
        this.#wakeTimers.delete(key);
        this.#pump();
      }, ms),
    );
  }

  #startAttempt(live: Live, slot: AgentSlot): void {
    const rec = live.rec;
    const now = this.#clock.now();
    rec.status = 'running';
    rec.attempts++;
    rec.agent = slot.name;
    rec.startedAt ??= now;
    rec.updatedAt = now;
    slot.inFlight++;
    this.#inFlight++;
    live.state = 'running';
    live.slot = slot;
    live.attemptStartedAt = now;
    const seq = ++live.attemptSeq;
    this.#journal.touch(live);
    const context = new AttemptContext();
    live.context = context;
    live.deadline = now + rec.timeoutMs;
    this.#deadlines.add(live);
    const traced = this.#spans?.attempt(rec, slot.name);
    const request: AgentRequest = {
      taskId: rec.id,
      pattern: rec.pattern,
      capability: live.route.capability,
      payload: rec.payload,
      metadata: rec.metadata,
      attempt: rec.attempts,
      idempotencyKey: rec.id,
      corrId: rec.corrId,
      headers: traced?.headers ?? (rec.corrId === null ? NO_HEADERS : { 'conclave-corr-id': rec.corrId }),
      timeoutMs: rec.timeoutMs,
    };
    if (this.events.has('started')) this.events.emit('started', rec);
    let call: Promise<unknown>;
    try {
      call =
        traced === undefined
          ? slot.info.transport.call(request, context)
          : runInContext(traced.context, callAgent, slot, request, context);
    } catch (err) {
      call = Promise.reject(toConclaveError(err, 'AGENT_ERROR'));
    }
    call.then(
      (result) => this.#settle(live, seq, undefined, result),
      (err: unknown) =>
        this.#settle(live, seq, err ?? new ConclaveError('AGENT_ERROR', 'agent call failed'), undefined),
    );
  }

  #onTimeout(live: Live): void {
    if (live.state !== 'running') return;
    const error = new ConclaveError(
      'TIMEOUT',
      `task ${live.rec.id}: agent '${live.rec.agent}' did not answer within ${live.rec.timeoutMs} ms`,
      { details: { timeoutMs: live.rec.timeoutMs, agent: live.rec.agent } },
    );
    live.context?.abort(error);
    this.#settle(live, live.attemptSeq, error, undefined);
  }

  #settle(live: Live, seq: number, err: unknown, result: unknown): void {
    if (live.attemptSeq !== seq || live.state !== 'running') return;
    const slot = live.slot!;
    this.#deadlines.delete(live);
    this.#spans?.settled(live.rec.id, err);
    live.context = null;
    live.slot = null;
    slot.inFlight--;
    this.#inFlight--;
    const latencyMs = this.#clock.now() - live.attemptStartedAt;
    if (err === undefined) {
      slot.breaker.recordSuccess();
      this.#registry.recordSuccess(slot.name, latencyMs);
      this.#finish(live, 'completed', result === undefined ? null : result, null);
    } else {
      const error = toConclaveError(err, 'AGENT_ERROR');
      if (live.cancelReason === null) {
        if (error.retryable) slot.breaker.recordFailure();
        else slot.breaker.releaseTrial();
        this.#registry.recordFailure(slot.name, error);
      } else slot.breaker.releaseTrial();
      this.#afterFailure(live, error);
    }
    if (this.#inFlight === 0 && this.#idle !== null) this.#idle();
    this.#pump();
  }

  #afterFailure(live: Live, error: ConclaveError): void {
    const rec = live.rec;
    if (live.cancelReason !== null) {
      this.#finish(
        live,
        'failed',
        null,
        error.code === 'CANCELLED'
          ? error
          : new ConclaveError('CANCELLED', live.cancelReason, { cause: error }),
      );
      return;
    }
    if (error.retryable && rec.attempts <= rec.maxRetries) {
      let delayMs = backoffDelayMs(rec.attempts, this.#o.backoff, this.#random);
      const retryIn = error.details['retryInMs'];
      if (error.code === 'CIRCUIT_OPEN' && typeof retryIn === 'number') delayMs = Math.max(delayMs, retryIn);
      const retryAfter = error.details['retryAfterMs'];
      if (typeof retryAfter === 'number') delayMs = Math.max(delayMs, retryAfter);
      const now = this.#clock.now();
      rec.status = 'queued';
      rec.error = error.toJSON();
      rec.updatedAt = now;
      live.state = 'retry_wait';
      this.#retryWaiting++;
      this.#journal.touch(live);
      live.timer = this.#clock.setTimeout(() => {
        live.timer = null;
        if (live.state !== 'retry_wait') return;
        this.#retryWaiting--;
        this.#enqueue(live);
        this.#pump();
      }, delayMs);
      if (this.events.has('retrying')) this.events.emit('retrying', rec, delayMs);
      return;
    }
    const deadLetter = error.retryable && this.#o.deadLetterEnabled;
    this.#finish(live, deadLetter ? 'dead_lettered' : 'failed', null, error);
  }

  #finish(
    live: Live,
    status: Extract<TaskStatus, 'completed' | 'failed' | 'dead_lettered'>,
    result: unknown,
    error: ConclaveError | null,
  ): void {
    const rec = live.rec;
    const now = this.#clock.now();
    rec.status = status;
    rec.result = result;
    rec.error = error === null ? null : error.toJSON();
    rec.finishedAt = now;
    rec.updatedAt = now;
    if (live.attemptSeq > 0) rec.executionMs = now - live.attemptStartedAt;
    live.state = 'done';
    if (status === 'dead_lettered') {
      this.#counts.deadLettered++;
      this.#journal.deadLetter(live, deadLetterFor(rec, now));
    } else {
      if (status === 'completed') this.#counts.completed++;
      else this.#counts.failed++;
      this.#journal.touch(live);
    }
    this.#spans?.end(rec);
    if (this.events.has('finished')) this.events.emit('finished', rec);
  }

  /** Forgets tasks whose final state is now committed, and wakes their waiters. */
  #committedStates(entries: readonly Live[], statuses: readonly TaskStatus[]): void {
    for (let i = 0; i < entries.length; i++) {
      const live = entries[i]!;
      if (live.state !== 'done' || !FINAL_TASK_STATUSES.has(statuses[i]!)) continue;
      live.state = 'released';
      this.#live.delete(live.rec.id);
      if (live.waiters !== null) for (const w of live.waiters) w({ ...live.rec });
    }
  }
}

/** One agent call (a plain function, so the traced path captures nothing in `#startAttempt`). */
function callAgent(slot: AgentSlot, request: AgentRequest, context: AttemptContext): Promise<unknown> {
  return slot.info.transport.call(request, context);
}

function matches(selector: TaskSelector, task: { pattern: string; target: string }): boolean {
  return (
    (selector.patterns?.includes(task.pattern) ?? false) || (selector.targets?.includes(task.target) ?? false)
  );
}

function checkSelector(selector: TaskSelector): void {
  if ((selector.patterns?.length ?? 0) === 0 && (selector.targets?.length ?? 0) === 0) {
    throw new ValidationError('selector', 'name at least one pattern or target');
  }
}
