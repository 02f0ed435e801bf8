import { systemClock } from '../core/clock.ts';
import type { Clock } from '../core/clock.ts';
import { ConclaveError, toConclaveError } from '../core/errors.ts';
import { copyRecord } from '../core/records.ts';
import { ExpiryQueue } from './expiry-queue.ts';
import { CorrelationTable } from './memory-correlations.ts';
import type {
  BreakerRecord,
  BreakerUpdate,
  BucketLimit,
  ClaimReason,
  ClaimResult,
  CorrelationSnapshot,
  JoinPolicy,
  JoinResult,
  LockGrant,
  SharedState,
} from './shared-state.ts';
import { isSealed } from '../core/immutable.ts';
import { checkBreaker, checkBucket, checkKey, checkPolicy, checkTtl, encodeSignal } from './state-args.ts';
import { takeFromBucket } from './token-bucket.ts';
import type { BucketState } from './token-bucket.ts';

/** How long a decided correlation id is remembered by default: an hour, the idempotency window. */
export const DEFAULT_DECIDED_RETENTION_MS = 3_600_000;

/** How many due expiry checks each operation runs on the side, so sweeping stays cheap. */
const SWEEP_BUDGET = 32;

/** Options for {@link MemoryState}. */
export interface MemoryStateOptions {
  /** The clock that drives every TTL; defaults to the wall clock. */
  clock?: Clock;
  /** How long a decided correlation id stays remembered after its decision (default one hour). */
  decidedRetentionMs?: number;
}

/** What {@link MemoryState} holds right now, for tests and metrics. */
export interface MemoryStateStats {
  correlations: number;
  idempotencyKeys: number;
  locks: number;
  buckets: number;
  breakers: number;
  /** Expiry checks waiting in the queue. */
  queuedChecks: number;
}

type Table = 'corr' | 'idem' | 'lock' | 'bucket';

interface HeldLock {
  token: number;
  expiresAt: number;
}

interface HeldBucket extends BucketState {
  expiresAt: number;
}

/**
 * {@link SharedState} in one process's memory: the embedded shape's coordination state.
 * @remarks Each operation runs synchronously, so it is atomic with respect to every other caller.
 * Expiry follows the injected clock: an expired entry is ignored and dropped when touched, and
 * every operation also runs a few due checks from a min-heap of expiry times ({@link sweep} runs
 * them all), so memory tracks what is live without a timer. Lock fencing counters and breakers
 * never expire: there is one per lock or breaker name, not per request.
 */
export class MemoryState implements SharedState {
  readonly #clock: Clock;
  readonly #queue = new ExpiryQueue<Table>();
  readonly #correlations: CorrelationTable;
  readonly #remembered = new Map<string, number>();
  readonly #locks = new Map<string, HeldLock>();
  readonly #fences = new Map<string, number>();
  readonly #buckets = new Map<string, HeldBucket>();
  readonly #breakers = new Map<string, BreakerRecord>();
  /** Keys of the TTL tables that have a check queued, so the queue holds at most one per key. */
  readonly #queued: Record<Exclude<Table, 'corr'>, Set<string>> = {
    idem: new Set(),
    lock: new Set(),
    bucket: new Set(),
  };
  #closed = false;

  constructor(options: MemoryStateOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    const retention = options.decidedRetentionMs ?? DEFAULT_DECIDED_RETENTION_MS;
    checkTtl('decidedRetentionMs', retention);
    this.#correlations = new CorrelationTable(retention, (at, id) => this.#queue.push(at, 'corr', id));
  }

  /** Counts of what is held. */
  get stats(): MemoryStateStats {
    return {
      correlations: this.#correlations.size,
      idempotencyKeys: this.#remembered.size,
      locks: this.#locks.size,
      buckets: this.#buckets.size,
      breakers: this.#breakers.size,
      queuedChecks: this.#queue.size,
    };
  }

  /** Runs every due expiry check now; returns how many entries it removed. */
  sweep(): number {
    return this.#sweep(Number.POSITIVE_INFINITY, this.#clock.now());
  }

  joinSignal(corrId: string, agent: string, signal: unknown, policy: JoinPolicy): Promise<JoinResult> {
    // Inline rather than through #run: the hottest operation allocates no closure.
    try {
      const now = this.#enter();
      checkKey('corrId', corrId);
      checkKey('agent', agent);
      checkPolicy(policy);
      // A sealed signal is its own copy: kept as it is, neither encoded nor decoded.
      const stored = isSealed(signal) ? signal : encodeSignal(signal);
      return Promise.resolve(this.#correlations.join(corrId, agent, stored, policy, now));
    } catch (err) {
      return Promise.reject(toConclaveError(err));
    }
  }

  claimDecision(corrId: string, reason: ClaimReason): Promise<ClaimResult> {
    return this.#run(() => {
      checkKey('corrId', corrId);
      return this.#correlations.claim(corrId, reason, this.#clock.now());
    });
  }

  getCorrelation(corrId: string): Promise<CorrelationSnapshot | undefined> {
    return this.#run(() => {
      checkKey('corrId', corrId);
      return this.#correlations.get(corrId, this.#clock.now());
    });
  }

  remember(key: string, ttlMs: number): Promise<boolean> {
    return this.#run(() => {
      checkKey('key', key);
      checkTtl('ttlMs', ttlMs);
      const now = this.#clock.now();
      const until = this.#remembered.get(key);
      if (until !== undefined && now < until) return false;
      this.#remembered.set(key, now + ttlMs);
      this.#schedule('idem', key, now + ttlMs);
      return true;
    });
  }

  acquireLock(key: string, ttlMs: number): Promise<LockGrant | undefined> {
    return this.#run(() => {
      checkKey('key', key);
      checkTtl('ttlMs', ttlMs);
      const now = this.#clock.now();
      if (this.#heldLock(key, now) !== undefined) return undefined;
      const token = (this.#fences.get(key) ?? 0) + 1;
      this.#fences.set(key, token);
      this.#locks.set(key, { token, expiresAt: now + ttlMs });
      this.#schedule('lock', key, now + ttlMs);
      return { token };
    });
  }

  releaseLock(key: string, token: number): Promise<boolean> {
    return this.#run(() => {
      checkKey('key', key);
      if (this.#heldLock(key, this.#clock.now())?.token !== token) return false;
      this.#locks.delete(key);
      return true;
    });
  }

  extendLock(key: string, token: number, ttlMs: number): Promise<boolean> {
    return this.#run(() => {
      checkKey('key', key);
      checkTtl('ttlMs', ttlMs);
      const now = this.#clock.now();
      const lock = this.#heldLock(key, now);
      if (lock?.token !== token) return false;
      lock.expiresAt = now + ttlMs;
      return true;
    });
  }

  takeTokens(key: string, limit: BucketLimit, cost = 1): Promise<number> {
    return this.#run(() => {
      checkKey('key', key);
      checkBucket(limit, cost);
      const now = this.#clock.now();
      const held = this.#buckets.get(key);
      const current = held !== undefined && now < held.expiresAt ? held : undefined;
      const take = takeFromBucket(current, now, limit.ratePerMinute, limit.burst, cost);
      const expiresAt = now + Math.max(1, take.fullInMs);
      const next = copyRecord(take.state) as HeldBucket;
      next.expiresAt = expiresAt; // not `{ ...state, expiresAt }`: see core/records.ts
      this.#buckets.set(key, next);
      this.#schedule('bucket', key, expiresAt);
      return take.waitMs;
    });
  }

  getBreaker(key: string): Promise<BreakerRecord | undefined> {
    return this.#run(() => {
      checkKey('key', key);
      const record = this.#breakers.get(key);
      return record === undefined ? undefined : { ...record };
    });
  }

  casBreaker(key: string, expectedVersion: number, next: BreakerUpdate): Promise<boolean> {
    return this.#run(() => {
      checkKey('key', key);
      checkBreaker(expectedVersion, next);
      const version = this.#breakers.get(key)?.version ?? 0;
      if (version !== expectedVersion) return false;
      const { state, consecutiveFailures, openedAt } = next;
      this.#breakers.set(key, { state, consecutiveFailures, openedAt, version: version + 1 });
      return true;
    });
  }

  ping(): Promise<void> {
    return this.#run(() => undefined);
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /** Runs one operation as a single synchronous step, after a bounded sweep; throws become rejections. */
  #run<T>(op: () => T): Promise<T> {
    try {
      this.#enter();
      return Promise.resolve(op());
    } catch (err) {
      return Promise.reject(toConclaveError(err));
    }
  }

  /** What every operation does first: refuse when closed, run a bounded sweep; returns the time. */
  #enter(): number {
    if (this.#closed) throw new ConclaveError('SHUTTING_DOWN', 'shared state is closed');
    const now = this.#clock.now();
    this.#sweep(SWEEP_BUDGET, now);
    return now;
  }

  /** Queues a check of `key` unless one is queued; a due check re-queues itself while the key lives. */
  #schedule(table: Exclude<Table, 'corr'>, key: string, at: number): void {
    const queued = this.#queued[table];
    if (queued.has(key)) return;
    queued.add(key);
    this.#queue.push(at, table, key);
  }

  #heldLock(key: string, now: number): HeldLock | undefined {
    const lock = this.#locks.get(key);
    if (lock === undefined || now < lock.expiresAt) return lock;
    this.#locks.delete(key);
    return undefined;
  }

  #sweep(budget: number, now: number): number {
    let removed = 0;
    for (let i = 0; i < budget; i++) {
      const due = this.#queue.popDue(now);
      if (due === undefined) break;
      if (this.#expire(due.table, due.key, now)) removed++;
    }
    return removed;
  }

  #expire(table: Table, key: string, now: number): boolean {
    switch (table) {
      case 'corr':
        return this.#correlations.expire(key, now);
      case 'idem':
        return this.#dropIfExpired(table, this.#remembered, key, now, (until) => until);
      case 'lock':
        return this.#dropIfExpired(table, this.#locks, key, now, (lock) => lock.expiresAt);
      case 'bucket':
        return this.#dropIfExpired(table, this.#buckets, key, now, (bucket) => bucket.expiresAt);
    }
  }

  /** Drops `key` when expired, else queues its next check; true when it was dropped. */
  #dropIfExpired<V>(
    table: Exclude<Table, 'corr'>,
    map: Map<string, V>,
    key: string,
    now: number,
    expiresAt: (value: V) => number,
  ): boolean {
    this.#queued[table].delete(key);
    const value = map.get(key);
    if (value === undefined) return false;
    if (now < expiresAt(value)) {
      this.#schedule(table, key, expiresAt(value));
      return false;
    }
    map.delete(key);
    return true;
  }
}
