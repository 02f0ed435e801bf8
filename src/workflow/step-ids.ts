import { createHash } from 'node:crypto';

/**
 * A UUID-shaped id derived from its parts (SHA-256, version nibble 8 = "custom"), so a process
 * resuming a run computes the very id the crashed one used.
 */
export function deterministicId(...parts: readonly (string | number | null)[]): string {
  const hex = createHash('sha256')
    .update(parts.map((p) => (p === null ? '' : String(p))).join('\u0000'))
    .digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Stable across attempts and restarts: what agents and builtins deduplicate on. */
export function idempotencyKey(runId: string, stepId: string, index: number | null): string {
  return index === null ? `${runId}:${stepId}` : `${runId}:${stepId}:${index}`;
}

/** The dispatcher task id of one attempt of a task step (or item). */
export function taskIdFor(runId: string, stepId: string, index: number | null, attempt: number): string {
  return deterministicId('task', runId, stepId, index, attempt);
}

/** The run id of one attempt of a sub-workflow step (or item). */
export function childRunIdFor(runId: string, stepId: string, index: number | null, attempt: number): string {
  return deterministicId('run', runId, stepId, index, attempt);
}
