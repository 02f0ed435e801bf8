/** How the coordinator joins signals for one correlation id. */
export interface JoinPolicy {
  /** Agents whose signals must all be present before the correlation is complete. */
  readonly required: readonly string[];
  /** The least number of distinct agents a complete correlation has (required ones included). */
  readonly minAgents: number;
  /** How long the correlation's signals live, counted from its first signal (later joins do not extend it). */
  readonly ttlMs: number;
}

/** What {@link SharedState.joinSignal} did with a signal. */
export type JoinOutcome = 'stored' | 'duplicate' | 'late';

/** The answer of {@link SharedState.joinSignal}. */
export interface JoinResult {
  /** `stored`: new agent; `duplicate`: this agent already joined, nothing changed; `late`: already decided. */
  readonly outcome: JoinOutcome;
  /** The agents whose signals are stored, in arrival order. */
  readonly agents: string[];
  /** True when the stored signals satisfy the policy (every required agent, at least `minAgents`). */
  readonly complete: boolean;
  /** True for the one caller that completed the correlation and so owns its decision. */
  readonly claimed: boolean;
  /**
   * With `claimed` only: the stored signals by agent, in arrival order (copies), as
   * {@link SharedState.claimDecision} would return them — so the winner needs no second read.
   */
  readonly signals?: Record<string, unknown>;
  /** With `claimed` only: when the correlation's first signal arrived (epoch ms). */
  readonly firstAt?: number;
}

/** Why a correlation's decision was claimed. */
export type ClaimReason = 'complete' | 'deadline';

/** The answer of {@link SharedState.claimDecision}: the signals for the one winner, nothing for the rest. */
export type ClaimResult =
  { readonly claimed: true; readonly signals: Record<string, unknown> } | { readonly claimed: false };

/** Where a correlation stands. */
export type CorrelationStatus = 'collecting' | 'decided' | 'expired';

/** A snapshot of one correlation, as {@link SharedState.getCorrelation} returns it. */
export interface CorrelationSnapshot {
  /** Signals by agent name (copies: changing them changes nothing stored). Empty once `expired`. */
  readonly signals: Record<string, unknown>;
  /** `collecting` until claimed; `decided` after; `expired` once a decided correlation's signals are gone. */
  readonly status: CorrelationStatus;
  /** When the first signal arrived (epoch ms). */
  readonly firstAt: number;
  /** When the last stored signal arrived (epoch ms). */
  readonly lastAt: number;
  /** When the decision was claimed, if it was. */
  readonly decidedAt: number | undefined;
  /** Why the decision was claimed, if it was. */
  readonly decidedReason: ClaimReason | undefined;
  /** Agents whose signals arrived after the decision, in arrival order, each once. */
  readonly late: string[];
}

/** The acquisition of a lock: its fencing token. */
export interface LockGrant {
  /** Strictly increasing per key across acquisitions; pass it to anything the lock protects. */
  readonly token: number;
}

/** A shared token bucket's shape. */
export interface BucketLimit {
  /** Tokens added per minute. */
  readonly ratePerMinute: number;
  /** The bucket's capacity; a new bucket starts full. */
  readonly burst: number;
}

/** A circuit breaker's position. */
export type BreakerPosition = 'closed' | 'open' | 'half_open';

/** What a caller writes into a shared breaker. */
export interface BreakerUpdate {
  readonly state: BreakerPosition;
  readonly consecutiveFailures: number;
  /** When the breaker opened (epoch ms), if it is open or half open. */
  readonly openedAt: number | undefined;
}

/** A shared breaker as stored: the update plus its version (1 after the first write). */
export interface BreakerRecord extends BreakerUpdate {
  readonly version: number;
}

/**
 * Short-lived coordination state shared by orchestrator processes: correlation joins, idempotency
 * keys, fenced locks, token buckets and circuit breakers.
 * @remarks Every operation is one atomic step against the backing store. In memory that is one
 * synchronous turn of the event loop; in Redis it is one Lua script (`EVALSHA`) or one command, so
 * two orchestrators can never interleave inside an operation. Signals must be JSON values: they are
 * stored as their JSON text, so what comes back is a copy and never changes once stored. A signal
 * sealed with `sealJson` (core/immutable) cannot change and equals its own JSON copy, so an
 * implementation may keep it and give back the same object instead (MemoryState does). Invalid
 * arguments reject with a `ValidationError`; a closed state rejects with `SHUTTING_DOWN`.
 *
 * Redis notes: keys of one correlation share the `{id}` hash tag so a script touching both stays in
 * one Cluster slot; time inside scripts comes from `TIME` (the server's clock, not an injected
 * one); how long a decided id is remembered is the implementation's option, as in memory.
 */
export interface SharedState {
  /**
   * Stores `agent`'s signal for `corrId` and, when that completes the correlation, claims its
   * decision in the same step.
   * @remarks A second signal from the same agent is a `duplicate` and changes nothing. A signal
   * after the decision is `late`: it is added to the late list and changes nothing else. The
   * correlation's signals expire `policy.ttlMs` after its first signal (the first join's TTL wins).
   * An undecided correlation then vanishes, and a later signal for the id starts a fresh one. A
   * decided correlation is remembered (status `expired`, no signals) for the implementation's
   * decided-retention window, so a signal after expiry is still `late` and the id can never be
   * claimed twice inside that window.
   *
   * Redis: one Lua script over `corr:{id}` (a hash: `s:<agent>` → JSON, `order`, `first`, `last`)
   * and `corr:{id}:done` (a hash: `at`, `reason`, `late`). If `done` exists, append to `late` and
   * return `late`. Else `HSETNX` the agent's field (0 → `duplicate`); on the first field `PEXPIRE`
   * the hash by `ttlMs`; then `HEXISTS` each required agent and compare the agent count with
   * `minAgents`; if complete, create `done` with `PEXPIRE` of the retention window and return
   * `claimed` with every stored signal.
   */
  joinSignal(corrId: string, agent: string, signal: unknown, policy: JoinPolicy): Promise<JoinResult>;

  /**
   * Claims `corrId`'s decision: the stored signals for exactly one caller, `claimed: false` for
   * everyone else and for an unknown id.
   * @remarks The deadline path uses it to decide on a partial set. Redis: a Lua script that returns
   * nothing if `corr:{id}:done` exists or `corr:{id}` does not, else creates `done` and returns
   * `HGETALL corr:{id}`.
   */
  claimDecision(corrId: string, reason: ClaimReason): Promise<ClaimResult>;

  /**
   * A snapshot of `corrId`, or undefined when it never existed or has expired undecided.
   * @remarks Redis: `HGETALL` of both keys in one `MULTI` (a read needs no script).
   */
  getCorrelation(corrId: string): Promise<CorrelationSnapshot | undefined>;

  /**
   * True the first time `key` is seen within `ttlMs`, false while it is remembered.
   * @remarks Redis: `SET idem:{key} 1 NX PX ttlMs`.
   */
  remember(key: string, ttlMs: number): Promise<boolean>;

  /**
   * Takes the lock `key` for `ttlMs`, or undefined while someone else holds it.
   * @remarks The token counter outlives the lock, so a new holder always gets a greater token and a
   * stale holder can be fenced. Redis: a Lua script that, if `SET lock:{key} <token> NX PX ttlMs`
   * would succeed, `INCR`s `lock:{key}:fence` (no TTL) and stores that token.
   */
  acquireLock(key: string, ttlMs: number): Promise<LockGrant | undefined>;

  /**
   * Releases the lock when `token` still holds it; false otherwise (expired, or taken over).
   * @remarks Redis: a Lua compare-and-delete (`GET` = token → `DEL`).
   */
  releaseLock(key: string, token: number): Promise<boolean>;

  /**
   * Extends the lock to `ttlMs` from now when `token` still holds it; false otherwise.
   * @remarks Redis: a Lua compare-and-`PEXPIRE`.
   */
  extendLock(key: string, token: number, ttlMs: number): Promise<boolean>;

  /**
   * Takes `cost` tokens from the shared bucket `key`: 0 when granted, else the milliseconds until
   * they would be (nothing is taken then).
   * @remarks Redis: a Lua script over a hash (`tokens`, `at`) that refills by elapsed time read
   * from `TIME`, takes or refuses, and `PEXPIRE`s the hash for the time it takes to refill, so an
   * idle bucket disappears (absent means full).
   */
  takeTokens(key: string, limit: BucketLimit, cost?: number): Promise<number>;

  /**
   * The shared breaker `key`, or undefined when never written.
   * @remarks Redis: `HGETALL breaker:{key}`.
   */
  getBreaker(key: string): Promise<BreakerRecord | undefined>;

  /**
   * Writes `next` when the stored version is still `expectedVersion` (0 means absent) and bumps the
   * version; false when someone wrote first.
   * @remarks Redis: a Lua compare-and-set on the hash's `version` field.
   */
  casBreaker(key: string, expectedVersion: number, next: BreakerUpdate): Promise<boolean>;

  /** Resolves when the backing store answers; rejects when it does not. */
  ping(): Promise<void>;

  /** Releases the backing store; later calls reject with `SHUTTING_DOWN`. Idempotent. */
  close(): Promise<void>;
}
