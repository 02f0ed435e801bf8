import type { TaskRecord, TaskUpdate } from '../core/task.ts';
import type { TaskBatch } from './store.ts';
import { updateToRow } from './task-rows.ts';
import type { UpdateRow } from './task-rows.ts';

/**
 * How a {@link TaskBatch} reaches the database. Implementations must be atomic (all or nothing)
 * and let driver errors through unwrapped; the repository classifies them. The helpers below are
 * the batch shaping every writer shares.
 */
export interface BatchWriter {
  write(batch: TaskBatch): Promise<void>;
  /** True when batches land in the order `write` was called, however many are in flight. */
  readonly inOrder?: boolean;
  /** Releases what the writer holds (a writer thread); called when the store closes. */
  close?(): Promise<void>;
}

/** Splits `items` into runs of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Folds several updates of one task into one, in order: later fields win, fields listed by any
 * update are set. Applying the fold equals applying the updates one after another.
 */
export function mergeUpdates(updates: readonly TaskUpdate[]): Map<string, UpdateRow> {
  const merged = new Map<string, UpdateRow>();
  for (const u of updates) {
    const row = updateToRow(u);
    const prev = merged.get(u.id);
    merged.set(u.id, prev === undefined ? row : { ...prev, ...row });
  }
  return merged;
}

/**
 * A task record with an update applied: the update's required fields, and its listed optional
 * ones. Built as one literal of every field (see `core/records.ts` on spread copies).
 */
export function applyUpdate(task: TaskRecord, u: TaskUpdate): TaskRecord {
  return {
    id: task.id,
    pattern: task.pattern,
    target: task.target,
    payload: task.payload,
    metadata: task.metadata,
    priority: task.priority,
    status: u.status,
    attempts: u.attempts,
    maxRetries: task.maxRetries,
    timeoutMs: task.timeoutMs,
    corrId: task.corrId,
    callbackUrl: task.callbackUrl,
    agent: u.agent !== undefined ? u.agent : task.agent,
    result: u.result !== undefined ? u.result : task.result,
    error: u.error !== undefined ? u.error : task.error,
    createdAt: task.createdAt,
    updatedAt: u.updatedAt,
    startedAt: u.startedAt !== undefined ? u.startedAt : task.startedAt,
    finishedAt: u.finishedAt !== undefined ? u.finishedAt : task.finishedAt,
    executionMs: u.executionMs !== undefined ? u.executionMs : task.executionMs,
  };
}

/**
 * Folds the updates of tasks inserted by the same batch into their inserts, in order, so each
 * such task is written once (its final state) instead of inserted and then updated. Same end
 * state, same atomicity; under group commit most short tasks start and finish in one batch.
 */
export function foldBatch(batch: TaskBatch): {
  inserts: readonly TaskRecord[];
  updates: readonly TaskUpdate[];
} {
  const inserts = batch.inserts ?? [];
  const updates = batch.updates ?? [];
  if (inserts.length === 0 || updates.length === 0) return { inserts, updates };
  const position = new Map<string, number>();
  inserts.forEach((t, i) => position.set(t.id, i));
  const folded = inserts.slice();
  const rest: TaskUpdate[] = [];
  for (const u of updates) {
    const i = position.get(u.id);
    if (i === undefined) rest.push(u);
    else folded[i] = applyUpdate(folded[i]!, u);
  }
  return { inserts: folded, updates: rest };
}
