import type { Clock } from '../core/clock.ts';

/** A rate limit: a steady rate and a burst allowance. */
export interface RateLimit {
  ratePerMinute: number;
  burst: number;
}

/**
 * Token buckets keyed by name (`agent:<name>`), so a shared-state implementation can hold the same
 * buckets for many processes.
 */
export interface RateLimiter {
  /** Takes `cost` tokens from `key`'s bucket: 0 when granted, else milliseconds until they would be. */
  tryAcquire(key: string, cost?: number): number;
  /** Sets the limit for a key (default limit otherwise). */
  setLimit(key: string, limit: RateLimit): void;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
  perMs: number;
  burst: number;
}

/** The in-process token-bucket limiter. */
export class TokenBucketLimiter implements RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #limits = new Map<string, RateLimit>();

  constructor(
    private readonly defaultLimit: RateLimit,
    private readonly clock: Clock,
  ) {}

  setLimit(key: string, limit: RateLimit): void {
    this.#limits.set(key, limit);
    this.#buckets.delete(key);
  }

  tryAcquire(key: string, cost = 1): number {
    const now = this.clock.now();
    let b = this.#buckets.get(key);
    if (b === undefined) {
      const limit = this.#limits.get(key) ?? this.defaultLimit;
      b = { tokens: limit.burst, updatedAt: now, perMs: limit.ratePerMinute / 60_000, burst: limit.burst };
      this.#buckets.set(key, b);
    } else if (now > b.updatedAt) {
      b.tokens = Math.min(b.burst, b.tokens + (now - b.updatedAt) * b.perMs);
      b.updatedAt = now;
    }
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return 0;
    }
    return Math.ceil((cost - b.tokens) / b.perMs);
  }
}
