import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { ConclaveError, isConclaveError } from '../core/errors.ts';
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
} from '../state/shared-state.ts';

/** What to do while the primary state is unreachable. */
export type StateFallback = 'memory' | 'refuse';

/** Options for {@link DegradableState}. */
export interface DegradableStateOptions {
  /** The shared state (Redis). */
  primary: SharedState;
  /** Used while degraded with `fallback: 'memory'`: this process's own state. */
  local: SharedState;
  fallback: StateFallback;
  /** Consecutive failures that open the breaker. */
  breakerThreshold: number;
  /** How long the breaker stays open before one call tries the primary again. */
  breakerResetMs: number;
  /** Told when the state degrades (with why) and when it recovers (`undefined`). */
  onChange: (degradedReason: string | undefined) => void;
}

/** A shared-state dependency's health. */
export interface StateHealth {
  readonly degraded: boolean;
  readonly reason: string | undefined;
  readonly fallback: StateFallback;
}

type Op<T> = (state: SharedState) => Promise<T>;

/**
 * Shared state that survives its server going away: a cockatiel circuit breaker around the primary
 * (Redis), and a documented fallback while it is open.
 * @remarks The at-orchestrator document asks for "graceful degradation when state is unavailable",
 * so the default fallback is `memory`: while Redis is unreachable this process joins and decides
 * on its own in-memory state, and decisions keep flowing. The price, stated in the README: exactly
 * once across processes is no longer guaranteed while degraded (two orchestrators may each see
 * part of a correlation and decide it at its deadline, and correlations joined before the outage
 * are not visible in memory), and what was joined in memory is not carried back to Redis. With
 * more than one orchestrator, `refuse` is the safer choice: operations fail fast with a retryable
 * `STORE_ERROR`, the coordinator naks its signals and JetStream redelivers them once Redis is back
 * — delayed decisions, never doubled ones. Only `STORE_ERROR` (Redis unreachable or failing)
 * counts against the breaker; validation errors pass straight through.
 */
export class DegradableState implements SharedState {
  readonly #o: DegradableStateOptions;
  readonly #breaker: CircuitBreakerPolicy;
  #reason: string | undefined;
  #disposers: { dispose(): void }[];

  constructor(options: DegradableStateOptions) {
    this.#o = options;
    this.#breaker = circuitBreaker(
      handleWhen((err) => isConclaveError(err) && err.code === 'STORE_ERROR'),
      { halfOpenAfter: options.breakerResetMs, breaker: new ConsecutiveBreaker(options.breakerThreshold) },
    );
    this.#disposers = [
      this.#breaker.onBreak((why) =>
        this.#degrade('error' in why ? errorText(why.error) : 'breaker isolated'),
      ),
      this.#breaker.onReset(() => this.#recover()),
    ];
  }

  /** Whether the state is degraded, and why. */
  health(): StateHealth {
    return { degraded: this.#reason !== undefined, reason: this.#reason, fallback: this.#o.fallback };
  }

  /** Pings the primary through the breaker, so an outage at start-up is seen before any signal. */
  async probe(): Promise<StateHealth> {
    try {
      await this.#breaker.execute(() => this.#o.primary.ping());
    } catch (err) {
      if (this.#reason === undefined) this.#degrade(errorText(err));
    }
    return this.health();
  }

  joinSignal(corrId: string, agent: string, signal: unknown, policy: JoinPolicy): Promise<JoinResult> {
    return this.#run('joinSignal', (s) => s.joinSignal(corrId, agent, signal, policy));
  }
  claimDecision(corrId: string, reason: ClaimReason): Promise<ClaimResult> {
    return this.#run('claimDecision', (s) => s.claimDecision(corrId, reason));
  }
  getCorrelation(corrId: string): Promise<CorrelationSnapshot | undefined> {
    return this.#run('getCorrelation', (s) => s.getCorrelation(corrId));
  }
  remember(key: string, ttlMs: number): Promise<boolean> {
    return this.#run('remember', (s) => s.remember(key, ttlMs));
  }
  acquireLock(key: string, ttlMs: number): Promise<LockGrant | undefined> {
    return this.#run('acquireLock', (s) => s.acquireLock(key, ttlMs));
  }
  releaseLock(key: string, token: number): Promise<boolean> {
    return this.#run('releaseLock', (s) => s.releaseLock(key, token));
  }
  extendLock(key: string, token: number, ttlMs: number): Promise<boolean> {
    return this.#run('extendLock', (s) => s.extendLock(key, token, ttlMs));
  }
  takeTokens(key: string, limit: BucketLimit, cost?: number): Promise<number> {
    return this.#run('takeTokens', (s) => s.takeTokens(key, limit, cost));
  }
  getBreaker(key: string): Promise<BreakerRecord | undefined> {
    return this.#run('getBreaker', (s) => s.getBreaker(key));
  }
  casBreaker(key: string, expectedVersion: number, next: BreakerUpdate): Promise<boolean> {
    return this.#run('casBreaker', (s) => s.casBreaker(key, expectedVersion, next));
  }
  ping(): Promise<void> {
    return this.#run('ping', (s) => s.ping());
  }

  async close(): Promise<void> {
    for (const d of this.#disposers) d.dispose();
    this.#disposers = [];
    await Promise.all([this.#o.primary.close(), this.#o.local.close()]);
  }

  async #run<T>(operation: string, op: Op<T>): Promise<T> {
    try {
      const out = await this.#breaker.execute(() => op(this.#o.primary));
      if (this.#reason !== undefined) this.#recover();
      return out;
    } catch (err) {
      const brokenCircuit = err instanceof BrokenCircuitError;
      const storeFailure = isConclaveError(err) && err.code === 'STORE_ERROR';
      if (!brokenCircuit && !storeFailure) throw err;
      if (this.#o.fallback === 'memory') return op(this.#o.local);
      throw new ConclaveError(
        'STORE_ERROR',
        `shared state unavailable (${this.#reason ?? errorText(err)}); ${operation} refused until Redis is back`,
        { cause: err, retryable: true, details: { operation, fallback: 'refuse' } },
      );
    }
  }

  #degrade(reason: string): void {
    const first = this.#reason === undefined;
    this.#reason = reason;
    if (first) this.#o.onChange(reason);
  }

  #recover(): void {
    if (this.#reason === undefined || this.#breaker.state !== CircuitState.Closed) return;
    this.#reason = undefined;
    this.#o.onChange(undefined);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
