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

/** A task record with an update applied: the update's required fields, and its listed optional ones. */
export function applyUpdate(task: TaskRecord, u: TaskUpdate): TaskRecord {
  const next: TaskRecord = { ...task, status: u.status, attempts: u.attempts, updatedAt: u.updatedAt };
  if (u.agent !== undefined) next.agent = u.agent;
  if (u.result !== undefined) next.result = u.result;
  if (u.error !== undefined) next.error = u.error;
  if (u.startedAt !== undefined) next.startedAt = u.startedAt;
  if (u.finishedAt !== undefined) next.finishedAt = u.finishedAt;
  if (u.executionMs !== undefined) next.executionMs = u.executionMs;
  return next;
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
