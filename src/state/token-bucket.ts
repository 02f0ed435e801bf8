/** A token bucket's stored state: tokens left at `at` (epoch ms). */
export interface BucketState {
  readonly tokens: number;
  readonly at: number;
}

/** What one take did: the bucket afterwards, and 0 or the wait in ms until `cost` would be granted. */
export interface BucketTake {
  readonly state: BucketState;
  readonly waitMs: number;
  /** Milliseconds until the bucket is full again (how long its state is worth keeping). */
  readonly fullInMs: number;
}

/** Tokens of slack when comparing, so float rounding never turns an honest wait into a refusal. */
const EPSILON = 1e-9;

/**
 * Refills `state` (undefined means full) to `now` and takes `cost` tokens if they are there.
 * @remarks Pure arithmetic, so the Redis Lua script can be a line-by-line port of it.
 */
export function takeFromBucket(
  state: BucketState | undefined,
  now: number,
  ratePerMinute: number,
  burst: number,
  cost: number,
): BucketTake {
  const perMs = ratePerMinute / 60_000;
  const elapsed = state === undefined ? 0 : Math.max(0, now - state.at);
  const available =
    state === undefined ? burst : Math.min(burst, state.tokens + (elapsed * ratePerMinute) / 60_000);
  if (available + EPSILON >= cost) {
    const tokens = Math.max(0, available - cost);
    return { state: { tokens, at: now }, waitMs: 0, fullInMs: Math.ceil((burst - tokens) / perMs) };
  }
  return {
    state: { tokens: available, at: now },
    waitMs: Math.max(1, Math.ceil((cost - available) / perMs)),
    fullInMs: Math.ceil((burst - available) / perMs),
  };
}
