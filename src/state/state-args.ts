import { ValidationError } from '../core/errors.ts';
import type { BreakerUpdate, BucketLimit, JoinPolicy } from './shared-state.ts';

/** Checks that `value` is a non-empty key or name. */
export function checkKey(field: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError(field, `must be a non-empty string, got ${JSON.stringify(value)}`);
  }
}

/** Checks that `value` is a whole number of milliseconds greater than zero. */
export function checkTtl(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ValidationError(field, `must be a positive whole number of milliseconds, got ${value}`);
  }
}

/** Checks a join policy's fields. */
export function checkPolicy(policy: JoinPolicy): void {
  const { required } = policy;
  for (let i = 0; i < required.length; i++) {
    const agent = required[i]!;
    if (typeof agent !== 'string' || agent.length === 0) checkKey(`policy.required[${i}]`, agent);
  }
  if (!Number.isSafeInteger(policy.minAgents) || policy.minAgents < 0) {
    throw new ValidationError('policy.minAgents', `must be a whole number >= 0, got ${policy.minAgents}`);
  }
  checkTtl('policy.ttlMs', policy.ttlMs);
}

/** Checks a bucket's shape and a cost it could ever grant. */
export function checkBucket(limit: BucketLimit, cost: number): void {
  if (!Number.isFinite(limit.ratePerMinute) || limit.ratePerMinute <= 0) {
    throw new ValidationError('limit.ratePerMinute', `must be a number > 0, got ${limit.ratePerMinute}`);
  }
  if (!Number.isFinite(limit.burst) || limit.burst < 1) {
    throw new ValidationError('limit.burst', `must be a number >= 1, got ${limit.burst}`);
  }
  if (!Number.isFinite(cost) || cost <= 0 || cost > limit.burst) {
    throw new ValidationError('cost', `must be > 0 and <= burst (${limit.burst}), got ${cost}`);
  }
}

/** Checks a breaker update and the version it expects. */
export function checkBreaker(expectedVersion: number, next: BreakerUpdate): void {
  if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
    throw new ValidationError('expectedVersion', `must be a whole number >= 0, got ${expectedVersion}`);
  }
  if (!['closed', 'open', 'half_open'].includes(next.state)) {
    throw new ValidationError('next.state', `must be closed, open or half_open, got ${String(next.state)}`);
  }
  if (!Number.isSafeInteger(next.consecutiveFailures) || next.consecutiveFailures < 0) {
    throw new ValidationError(
      'next.consecutiveFailures',
      `must be a whole number >= 0, got ${next.consecutiveFailures}`,
    );
  }
}

/**
 * The JSON text a signal is stored as.
 * @remarks Both implementations store text, so a signal comes back as a copy and behaves the same
 * in memory as in Redis (a `Date` comes back as a string).
 */
export function encodeSignal(signal: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(signal);
  } catch (cause) {
    throw new ValidationError('signal', 'must be a JSON value (no cycles, no bigint)', {
      cause: String(cause),
    });
  }
  if (text === undefined)
    throw new ValidationError('signal', 'must be a JSON value, got undefined or a function');
  return text;
}
