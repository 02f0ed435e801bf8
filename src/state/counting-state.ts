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

/** The operations {@link CountingState} reports, as metric label values. */
export type StateOperation =
  | 'join'
  | 'claim'
  | 'get'
  | 'remember'
  | 'lock'
  | 'unlock'
  | 'extend_lock'
  | 'take_tokens'
  | 'get_breaker'
  | 'cas_breaker';

/**
 * A SharedState that reports each operation (for `orchestrator_state_operations_total`) and
 * forwards it unchanged to the one it wraps, whatever that runs on.
 */
export class CountingState implements SharedState {
  constructor(
    private readonly inner: SharedState,
    private readonly onOperation: (operation: StateOperation) => void,
  ) {}

  joinSignal(corrId: string, agent: string, signal: unknown, policy: JoinPolicy): Promise<JoinResult> {
    this.onOperation('join');
    return this.inner.joinSignal(corrId, agent, signal, policy);
  }

  claimDecision(corrId: string, reason: ClaimReason): Promise<ClaimResult> {
    this.onOperation('claim');
    return this.inner.claimDecision(corrId, reason);
  }

  getCorrelation(corrId: string): Promise<CorrelationSnapshot | undefined> {
    this.onOperation('get');
    return this.inner.getCorrelation(corrId);
  }

  remember(key: string, ttlMs: number): Promise<boolean> {
    this.onOperation('remember');
    return this.inner.remember(key, ttlMs);
  }

  acquireLock(key: string, ttlMs: number): Promise<LockGrant | undefined> {
    this.onOperation('lock');
    return this.inner.acquireLock(key, ttlMs);
  }

  releaseLock(key: string, token: number): Promise<boolean> {
    this.onOperation('unlock');
    return this.inner.releaseLock(key, token);
  }

  extendLock(key: string, token: number, ttlMs: number): Promise<boolean> {
    this.onOperation('extend_lock');
    return this.inner.extendLock(key, token, ttlMs);
  }

  takeTokens(key: string, limit: BucketLimit, cost?: number): Promise<number> {
    this.onOperation('take_tokens');
    return this.inner.takeTokens(key, limit, cost);
  }

  getBreaker(key: string): Promise<BreakerRecord | undefined> {
    this.onOperation('get_breaker');
    return this.inner.getBreaker(key);
  }

  casBreaker(key: string, expectedVersion: number, next: BreakerUpdate): Promise<boolean> {
    this.onOperation('cas_breaker');
    return this.inner.casBreaker(key, expectedVersion, next);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
