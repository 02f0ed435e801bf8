import type { Random } from '../core/random.ts';

/** Retry timing: `base × multiplier^(retry-1)`, capped, with ± jitter. */
export interface BackoffOptions {
  baseDelayMs: number;
  multiplier: number;
  maxDelayMs: number;
  /** Fraction of the delay to randomise, 0–1. */
  jitter: number;
}

/**
 * The delay before retry number `retry` (1-based): 1 s, 2 s, 4 s … by default, each spread by
 * the jitter so that retries from many tasks do not arrive together.
 */
export function backoffDelayMs(retry: number, options: BackoffOptions, random: Random): number {
  const raw = Math.min(
    options.maxDelayMs,
    options.baseDelayMs * options.multiplier ** Math.max(0, retry - 1),
  );
  const spread = raw * options.jitter * (random.next() * 2 - 1);
  return Math.max(0, Math.round(raw + spread));
}
