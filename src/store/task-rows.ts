import type { Insertable, Selectable } from 'kysely';
import type { SerializedError } from '../core/errors.ts';
import type { DeadLetterRecord, JsonObject, TaskRecord, TaskStatus, TaskUpdate } from '../core/task.ts';
import { toNumber, toNumberOrNull } from './schema.ts';
import type { DeadLettersTable, TasksTable } from './schema.ts';

/**
 * The one place records become rows and rows become records: JSON columns are
 * `JSON.stringify` text, BIGINT reads are converted back to numbers.
 */

/** A `tasks` row as read. */
export type TaskRow = Selectable<TasksTable>;
/** A `tasks` row as written. */
export type NewTaskRow = Insertable<TasksTable>;
/** A `dead_letters` row as read. */
export type DeadLetterRow = Selectable<DeadLettersTable>;
/** A `dead_letters` row as written. */
export type NewDeadLetterRow = Insertable<DeadLettersTable>;

/** Every `dead_letters` column, in table order. */
export const DEAD_LETTER_COLUMNS = [
  'id',
  'task_id',
  'pattern',
  'target',
  'payload',
  'metadata',
  'priority',
  'corr_id',
  'agent',
  'attempts',
  'error',
  'dead_at',
  'replayed_task_id',
  'replayed_at',
] as const satisfies readonly (keyof DeadLettersTable)[];

/** The columns a {@link TaskUpdate} always sets. */
export const UPDATE_REQUIRED_COLUMNS = ['status', 'attempts', 'updated_at'] as const;
/** The columns a {@link TaskUpdate} sets only when it lists the field; bit `i` of a shape is column `i`. */
export const UPDATE_OPTIONAL_COLUMNS = [
  'agent',
  'result',
  'error',
  'started_at',
  'finished_at',
  'execution_ms',
] as const;

/** A column a {@link TaskUpdate} can set. */
export type UpdateColumn =
  (typeof UPDATE_REQUIRED_COLUMNS)[number] | (typeof UPDATE_OPTIONAL_COLUMNS)[number];

/** JSON text for a value; `null` and `undefined` (no value) become SQL NULL. */
function jsonOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : (JSON.stringify(value) ?? null);
}

function parseJson(text: string): unknown {
  return JSON.parse(text) as unknown;
}

/** A task record as a row to insert. */
export function taskToRow(t: TaskRecord): NewTaskRow {
  return {
    id: t.id,
    pattern: t.pattern,
    target: t.target,
    payload: JSON.stringify(t.payload),
    metadata: JSON.stringify(t.metadata),
    priority: t.priority,
    status: t.status,
    attempts: t.attempts,
    max_retries: t.maxRetries,
    timeout_ms: t.timeoutMs,
    corr_id: t.corrId,
    callback_url: t.callbackUrl,
    agent: t.agent,
    result: jsonOrNull(t.result),
    error: jsonOrNull(t.error),
    created_at: t.createdAt,
    updated_at: t.updatedAt,
    started_at: t.startedAt,
    finished_at: t.finishedAt,
    execution_ms: t.executionMs,
  };
}

/** The `tasks` columns every row sets. */
export const INSERT_REQUIRED_COLUMNS = [
  'id',
  'pattern',
  'target',
  'payload',
  'metadata',
  'priority',
  'status',
  'attempts',
  'max_retries',
  'timeout_ms',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof TasksTable)[];

/** The nullable `tasks` columns; bit `i` of an insert shape is column `i`. */
export const INSERT_OPTIONAL_COLUMNS = [
  'corr_id',
  'callback_url',
  ...UPDATE_OPTIONAL_COLUMNS,
] as const satisfies readonly (keyof TasksTable)[];

/** Every `tasks` column. */
export const TASK_COLUMNS = [...INSERT_REQUIRED_COLUMNS, ...INSERT_OPTIONAL_COLUMNS] as const;

function present(value: unknown): number {
  return value === null || value === undefined ? 0 : 1;
}

/**
 * Which nullable columns a task has a value for, as a bitmask over {@link INSERT_OPTIONAL_COLUMNS}.
 * An insert binds only those; the others default to NULL. A queued task leaves eight of its
 * twenty columns empty, and binding them costs SQLite ~0.5 µs of the ~5.7 µs a task's insert and
 * final update take (measured in 1,000-row transactions), besides their copy to the writer thread.
 */
export function insertShape(t: TaskRecord): number {
  return (
    present(t.corrId) |
    (present(t.callbackUrl) << 1) |
    (present(t.agent) << 2) |
    (present(t.result) << 3) |
    (present(t.error) << 4) |
    (present(t.startedAt) << 5) |
    (present(t.finishedAt) << 6) |
    (present(t.executionMs) << 7)
  );
}

/** The columns an insert of the given shape binds, required ones first. */
export function insertColumns(shape: number): string[] {
  return [
    ...INSERT_REQUIRED_COLUMNS,
    ...INSERT_OPTIONAL_COLUMNS.filter((_, bit) => (shape & (1 << bit)) !== 0),
  ];
}

/** How many values {@link pushTaskValues} pushes for `shape`. */
export function insertValueCount(shape: number): number {
  return INSERT_REQUIRED_COLUMNS.length + bitCount(shape);
}

function bitCount(shape: number): number {
  let n = 0;
  for (let bits = shape; bits !== 0; bits >>= 1) n += bits & 1;
  return n;
}

/**
 * Pushes a task's values in {@link insertColumns} order for its shape, as the SQLite hot path
 * binds them. Written directly (not through taskToRow): this runs for every task.
 */
export function pushTaskValues(out: unknown[], t: TaskRecord, shape: number): void {
  out.push(
    t.id,
    t.pattern,
    t.target,
    JSON.stringify(t.payload),
    JSON.stringify(t.metadata),
    t.priority,
    t.status,
    t.attempts,
    t.maxRetries,
    t.timeoutMs,
    t.createdAt,
    t.updatedAt,
  );
  if (shape === 0) return;
  if ((shape & 1) !== 0) out.push(t.corrId);
  if ((shape & 2) !== 0) out.push(t.callbackUrl);
  pushOptionalStateValues(out, t, shape >> 2);
}

/**
 * The values of {@link UPDATE_OPTIONAL_COLUMNS} that `shape` (a bitmask over them) lists: the
 * tail of an insert's values and of an update's.
 */
function pushOptionalStateValues(
  out: unknown[],
  r: Pick<TaskUpdate, 'agent' | 'result' | 'error' | 'startedAt' | 'finishedAt' | 'executionMs'>,
  shape: number,
): void {
  if ((shape & 1) !== 0) out.push(r.agent);
  if ((shape & 2) !== 0) out.push(jsonOrNull(r.result));
  if ((shape & 4) !== 0) out.push(jsonOrNull(r.error));
  if ((shape & 8) !== 0) out.push(r.startedAt);
  if ((shape & 16) !== 0) out.push(r.finishedAt);
  if ((shape & 32) !== 0) out.push(r.executionMs);
}

/** A row read back as a task record. */
export function taskFromRow(r: TaskRow): TaskRecord {
  return {
    id: r.id,
    pattern: r.pattern,
    target: r.target,
    payload: parseJson(r.payload) as JsonObject,
    metadata: parseJson(r.metadata) as JsonObject,
    priority: r.priority,
    status: r.status,
    attempts: r.attempts,
    maxRetries: r.max_retries,
    timeoutMs: toNumber(r.timeout_ms),
    corrId: r.corr_id,
    callbackUrl: r.callback_url,
    agent: r.agent,
    result: r.result === null ? null : parseJson(r.result),
    error: r.error === null ? null : (parseJson(r.error) as SerializedError),
    createdAt: toNumber(r.created_at),
    updatedAt: toNumber(r.updated_at),
    startedAt: toNumberOrNull(r.started_at),
    finishedAt: toNumberOrNull(r.finished_at),
    executionMs: r.execution_ms,
  };
}

/** The columns an update sets, keyed by column. A field left `undefined` is not listed, so not touched. */
export interface UpdateRow {
  status: TaskStatus;
  attempts: number;
  updated_at: number;
  agent?: string | null;
  result?: string | null;
  error?: string | null;
  started_at?: number | null;
  finished_at?: number | null;
  execution_ms?: number | null;
}

/** A task update as the columns it sets. */
export function updateToRow(u: TaskUpdate): UpdateRow {
  const row: UpdateRow = { status: u.status, attempts: u.attempts, updated_at: u.updatedAt };
  if (u.agent !== undefined) row.agent = u.agent;
  if (u.result !== undefined) row.result = jsonOrNull(u.result);
  if (u.error !== undefined) row.error = jsonOrNull(u.error);
  if (u.startedAt !== undefined) row.started_at = u.startedAt;
  if (u.finishedAt !== undefined) row.finished_at = u.finishedAt;
  if (u.executionMs !== undefined) row.execution_ms = u.executionMs;
  return row;
}

/**
 * Which optional fields an update lists, as a bitmask over {@link UPDATE_OPTIONAL_COLUMNS}.
 * Updates with the same shape can share one compiled statement.
 */
export function updateShape(u: TaskUpdate): number {
  return (
    (u.agent !== undefined ? 1 : 0) |
    (u.result !== undefined ? 2 : 0) |
    (u.error !== undefined ? 4 : 0) |
    (u.startedAt !== undefined ? 8 : 0) |
    (u.finishedAt !== undefined ? 16 : 0) |
    (u.executionMs !== undefined ? 32 : 0)
  );
}

/** Which optional columns a merged update row sets: the same bitmask as {@link updateShape}. */
export function rowShape(row: UpdateRow): number {
  let shape = 0;
  UPDATE_OPTIONAL_COLUMNS.forEach((column, bit) => {
    if (row[column] !== undefined) shape |= 1 << bit;
  });
  return shape;
}

/**
 * An update's values in {@link updateColumns} order for its shape, then its id: what the SQLite
 * hot path binds to `UPDATE tasks SET … WHERE id = ?`.
 */
export function pushUpdateValues(values: unknown[], u: TaskUpdate, shape: number): void {
  values.push(u.status, u.attempts, u.updatedAt);
  pushOptionalStateValues(values, u, shape);
  values.push(u.id);
}

/** How many values {@link pushUpdateValues} pushes for `shape`. */
export function updateValueCount(shape: number): number {
  return 4 + bitCount(shape); // status, attempts, updated_at, id
}

/** The columns set by updates of the given shape, required ones first. */
export function updateColumns(shape: number): UpdateColumn[] {
  return [
    ...UPDATE_REQUIRED_COLUMNS,
    ...UPDATE_OPTIONAL_COLUMNS.filter((_, bit) => (shape & (1 << bit)) !== 0),
  ];
}

/** A dead letter as a row to insert. */
export function deadLetterToRow(d: DeadLetterRecord): NewDeadLetterRow {
  return {
    id: d.id,
    task_id: d.taskId,
    pattern: d.pattern,
    target: d.target,
    payload: JSON.stringify(d.payload),
    metadata: JSON.stringify(d.metadata),
    priority: d.priority,
    corr_id: d.corrId,
    agent: d.agent,
    attempts: d.attempts,
    error: JSON.stringify(d.error),
    dead_at: d.deadAt,
    replayed_task_id: d.replayedTaskId,
    replayed_at: d.replayedAt,
  };
}

/** A dead letter's column values in {@link DEAD_LETTER_COLUMNS} order. */
export function deadLetterValues(d: DeadLetterRecord): unknown[] {
  const r = deadLetterToRow(d);
  return [
    r.id,
    r.task_id,
    r.pattern,
    r.target,
    r.payload,
    r.metadata,
    r.priority,
    r.corr_id,
    r.agent,
    r.attempts,
    r.error,
    r.dead_at,
    r.replayed_task_id,
    r.replayed_at,
  ];
}

/** A row read back as a dead letter. */
export function deadLetterFromRow(r: DeadLetterRow): DeadLetterRecord {
  return {
    id: r.id,
    taskId: r.task_id,
    pattern: r.pattern,
    target: r.target,
    payload: parseJson(r.payload) as JsonObject,
    metadata: parseJson(r.metadata) as JsonObject,
    priority: r.priority,
    corrId: r.corr_id,
    agent: r.agent,
    attempts: r.attempts,
    error: parseJson(r.error) as SerializedError,
    deadAt: toNumber(r.dead_at),
    replayedTaskId: r.replayed_task_id,
    replayedAt: toNumberOrNull(r.replayed_at),
  };
}
