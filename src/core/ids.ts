import { randomUUID } from 'node:crypto';

/** A new random identifier (UUID v4), optionally prefixed: `newId('wf')` → `wf_0b6f…`. */
export function newId(prefix?: string): string {
  const id = randomUUID();
  return prefix === undefined ? id : `${prefix}_${id}`;
}

/** A new correlation id for a signal or request chain. */
export function newCorrelationId(): string {
  return newId('corr');
}
