import { EventEmitter } from 'node:events';
import { systemClock } from '../core/clock.ts';
import type { Clock } from '../core/clock.ts';
import { ConclaveError, ValidationError } from '../core/errors.ts';
import type {
  AgentInfo,
  AgentRegistration,
  AgentRegistryEvents,
  AgentSnapshot,
  AgentStatus,
  AgentStatusCounts,
} from './agent-info.ts';
import { AgentRecord } from './agent-record.ts';
import { HeartbeatMonitor } from './heartbeat-monitor.ts';
import { agentNotFound, checkRegistryLimits, compileRegistration } from './registration.ts';
import type { RegistryLimits } from './registration.ts';

/** Options for {@link AgentRegistry}; durations in milliseconds. */
export interface AgentRegistryOptions extends RegistryLimits {
  /** Default: the system clock. */
  clock?: Clock;
}

const NO_AGENTS: readonly AgentInfo[] = Object.freeze([]);

/**
 * Knows every agent: what it serves, how to reach it, and whether it may take work.
 * @remarks Status follows three inputs: heartbeats (a `required` agent silent for longer than
 * `timeoutThresholdMs` goes `offline`), call outcomes (failures inside `errorWindowMs` make it
 * `error`, and `errorThreshold` of them make it `disabled` until `enable`), and operator commands.
 * `recordSuccess`, `recordFailure`, `isAvailable` and `byCapability` are O(1) and allocate nothing
 * unless the status changes.
 */
export class AgentRegistry {
  readonly #clock: Clock;
  readonly #limits: RegistryLimits;
  readonly #agents = new Map<string, AgentRecord>();
  /** Lower-cased name → registered name, so names differing only in case collide. */
  readonly #lowerNames = new Map<string, string>();
  /** Capability → agents serving it; arrays are replaced, never mutated, so callers may hold them. */
  readonly #byCapability = new Map<string, readonly AgentRecord[]>();
  readonly #counts: AgentStatusCounts = { running: 0, error: 0, offline: 0, disabled: 0, total: 0 };
  readonly #events = new EventEmitter<AgentRegistryEvents>();
  readonly #monitor: HeartbeatMonitor;
  #closed = false;

  constructor(options: AgentRegistryOptions) {
    checkRegistryLimits(options);
    this.#clock = options.clock ?? systemClock;
    this.#limits = {
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      timeoutThresholdMs: options.timeoutThresholdMs,
      errorThreshold: options.errorThreshold,
      errorWindowMs: options.errorWindowMs,
    };
    this.#monitor = new HeartbeatMonitor(this.#clock, options.heartbeatIntervalMs, (now) =>
      this.#checkHeartbeats(now),
    );
  }

  /** Subscribes to a registry event; returns the unsubscribe function. */
  on<K extends keyof AgentRegistryEvents>(
    event: K,
    listener: (...args: AgentRegistryEvents[K]) => void,
  ): () => void {
    const l = listener as never;
    this.#events.on(event, l);
    return () => void this.#events.off(event, l);
  }

  /**
   * Adds an agent, `running`. Throws `VALIDATION_FAILED` naming a bad field or a dependency that is
   * not registered yet, and `DUPLICATE_AGENT` for a name already taken (ignoring case).
   */
  register(registration: AgentRegistration): AgentInfo {
    if (this.#closed) throw new ConclaveError('SHUTTING_DOWN', 'the agent registry is closed');
    const reg = compileRegistration(registration);
    const taken = this.#lowerNames.get(reg.name.toLowerCase());
    if (taken !== undefined) {
      throw new ConclaveError('DUPLICATE_AGENT', `an agent named '${taken}' is already registered`, {
        details: { agent: reg.name, existing: taken },
      });
    }
    const missing = reg.dependencies.filter((d) => !this.#agents.has(d));
    if (missing.length > 0) {
      throw new ValidationError(
        'dependencies',
        `agent '${reg.name}' depends on ${missing.map((d) => `'${d}'`).join(', ')}, not registered; register dependencies first`,
        { agent: reg.name, missing },
      );
    }
    const now = this.#clock.now();
    const record = new AgentRecord(reg, now, this.#limits.errorThreshold, this.#limits.errorWindowMs);
    this.#agents.set(record.name, record);
    this.#lowerNames.set(record.name.toLowerCase(), record.name);
    for (const c of record.capabilities)
      this.#byCapability.set(c, [...(this.#byCapability.get(c) ?? []), record]);
    this.#counts.running++;
    this.#counts.total++;
    if (this.#events.listenerCount('registered') > 0) this.#events.emit('registered', record.toSnapshot(now));
    return record;
  }

  /**
   * Removes an agent and closes its transport. Throws `AGENT_NOT_FOUND`, or `CONFLICT` while other
   * agents still depend on it (unregister those first).
   */
  async unregister(name: string): Promise<void> {
    const record = this.#require(name);
    const dependents = [...this.#agents.values()]
      .filter((a) => a.dependencies.includes(name))
      .map((a) => a.name);
    if (dependents.length > 0) {
      throw new ConclaveError(
        'CONFLICT',
        `agent '${name}' is a dependency of ${dependents.map((d) => `'${d}'`).join(', ')}; unregister those first`,
        { details: { agent: name, dependents } },
      );
    }
    this.#agents.delete(name);
    this.#lowerNames.delete(name.toLowerCase());
    for (const c of record.capabilities) {
      const rest = (this.#byCapability.get(c) ?? []).filter((a) => a !== record);
      if (rest.length === 0) this.#byCapability.delete(c);
      else this.#byCapability.set(c, rest);
    }
    this.#counts[record.status]--;
    this.#counts.total--;
    this.#events.emit('unregistered', { name, at: this.#clock.now() });
    await record.transport.close();
  }

  /** The agent named `name`, or undefined. */
  get(name: string): AgentInfo | undefined {
    return this.#agents.get(name);
  }

  /** Every agent, in registration order. */
  list(): AgentInfo[] {
    return [...this.#agents.values()];
  }

  /** The agents serving `capability`, whatever their status (filter with `isAvailable`). Do not mutate. */
  byCapability(capability: string): readonly AgentInfo[] {
    return this.#byCapability.get(capability) ?? NO_AGENTS;
  }

  /** Every capability some agent serves, sorted. */
  capabilities(): string[] {
    return [...this.#byCapability.keys()].sort();
  }

  /** True when the agent may take work: registered and `running` or `error`. */
  isAvailable(name: string): boolean {
    const status = this.#agents.get(name)?.status;
    return status === 'running' || status === 'error';
  }

  /** Records a heartbeat now; an `offline` agent comes back. Throws `AGENT_NOT_FOUND`. */
  heartbeat(name: string): void {
    const record = this.#require(name);
    const now = this.#clock.now();
    record.lastHeartbeatAt = now;
    if (record.status === 'offline') this.#recover(record, now);
  }

  /**
   * Records a successful call. An `error` agent whose failures have all left the window returns to
   * `running`. Unknown names are ignored: the call may finish after its agent was unregistered.
   */
  recordSuccess(name: string, latencyMs: number): void {
    const record = this.#agents.get(name);
    if (record === undefined) return;
    record.calls++;
    record.successes++;
    record.latencySumMs += latencyMs > 0 ? latencyMs : 0;
    if (record.status === 'error') {
      const now = this.#clock.now();
      if (record.window.count(now) === 0) this.#setStatus(record, 'running', null, now);
    }
  }

  /**
   * Records a failed call. Failures inside the window make a `running` agent `error`; reaching the
   * error threshold makes it `disabled`. Unknown names are ignored, as in `recordSuccess`.
   */
  recordFailure(name: string, error: unknown): void {
    const record = this.#agents.get(name);
    if (record === undefined) return;
    const now = this.#clock.now();
    const message = error instanceof Error ? error.message : String(error);
    record.calls++;
    record.failures++;
    record.lastError = message;
    const recent = record.window.add(now);
    if (record.status === 'disabled') return;
    if (recent >= this.#limits.errorThreshold) {
      const reason = `${recent} failures within ${this.#limits.errorWindowMs}ms reached the error threshold (${this.#limits.errorThreshold}); last: ${message}`;
      this.#setStatus(record, 'disabled', reason, now);
    } else if (record.status === 'running') {
      this.#setStatus(record, 'error', `last failure: ${message}`, now);
    } else if (record.status === 'error') {
      record.statusReason = `last failure: ${message}`;
    }
  }

  /** Takes an agent out of service until `enable`. Throws `AGENT_NOT_FOUND`. */
  disable(name: string, reason: string): void {
    const record = this.#require(name);
    const now = this.#clock.now();
    if (record.status === 'disabled') record.statusReason = reason;
    else this.#setStatus(record, 'disabled', reason, now);
  }

  /**
   * Puts an agent back in service with a clean error window: `running`, or `offline` if it must
   * heartbeat and has been silent too long. Throws `AGENT_NOT_FOUND`.
   */
  enable(name: string): void {
    const record = this.#require(name);
    record.window.clear();
    const now = this.#clock.now();
    if (this.#isStale(record, now)) this.#setStatus(record, 'offline', this.#staleReason(record, now), now);
    else this.#setStatus(record, 'running', null, now);
  }

  /** How many agents are in each status. */
  statusCounts(): AgentStatusCounts {
    return { ...this.#counts };
  }

  /** JSON-safe copies of every agent, in registration order. */
  snapshot(): AgentSnapshot[] {
    const now = this.#clock.now();
    return [...this.#agents.values()].map((a) => a.toSnapshot(now));
  }

  /** Starts the heartbeat monitor (every `heartbeatIntervalMs` on the clock). */
  start(): void {
    if (this.#closed) throw new ConclaveError('SHUTTING_DOWN', 'the agent registry is closed');
    this.#monitor.start();
  }

  /**
   * Stops the monitor and unregisters every agent, dependents first, closing their transports.
   * Every transport is closed even if one fails; the first failure is then thrown.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#monitor.stop();
    let failure: unknown;
    for (const name of [...this.#agents.keys()].reverse()) {
      try {
        await this.unregister(name);
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure !== undefined) {
      throw new ConclaveError('INTERNAL', 'closing an agent transport failed', { cause: failure });
    }
  }

  #require(name: string): AgentRecord {
    const record = this.#agents.get(name);
    if (record === undefined) throw agentNotFound(name);
    return record;
  }

  #isStale(record: AgentRecord, now: number): boolean {
    return record.heartbeat === 'required' && now - record.lastSeenAt > this.#limits.timeoutThresholdMs;
  }

  #staleReason(record: AgentRecord, now: number): string {
    return `no heartbeat for ${now - record.lastSeenAt}ms (timeout threshold ${this.#limits.timeoutThresholdMs}ms)`;
  }

  #checkHeartbeats(now: number): void {
    for (const record of this.#agents.values()) {
      if ((record.status === 'running' || record.status === 'error') && this.#isStale(record, now)) {
        this.#setStatus(record, 'offline', this.#staleReason(record, now), now);
      }
    }
  }

  /** Back from `offline`: `error` if failures remain in the window, else `running`. */
  #recover(record: AgentRecord, now: number): void {
    if (record.window.count(now) > 0)
      this.#setStatus(record, 'error', `last failure: ${record.lastError ?? ''}`, now);
    else this.#setStatus(record, 'running', null, now);
  }

  #setStatus(record: AgentRecord, to: AgentStatus, reason: string | null, now: number): void {
    const from = record.status;
    record.statusReason = reason;
    if (from === to) return;
    record.status = to;
    this.#counts[from]--;
    this.#counts[to]++;
    this.#events.emit('status', { name: record.name, from, to, reason, at: now });
  }
}
