import type { SerializedError } from './errors.ts';

/** Task lifecycle states. `queued` and `running` are live; the other three are final. */
export const TASK_STATUSES = ['queued', 'running', 'completed', 'failed', 'dead_lettered'] as const;
/** One of {@link TASK_STATUSES}. */
export type TaskStatus = (typeof TASK_STATUSES)[number];
/** The states a task ends in, exactly once. */
export const FINAL_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'dead_lettered']);

/** Priorities run 1 (least urgent) to 5 (most urgent), as in the Learn Your Way document. */
export const MIN_PRIORITY = 1;
export const MAX_PRIORITY = 5;

/** A JSON object, the shape of task payloads, metadata and results. */
export type JsonObject = { [key: string]: unknown };

/** A task as persisted: one row of the `tasks` table. Times are epoch milliseconds. */
export interface TaskRecord {
  id: string;
  pattern: string;
  /** The capability or agent the routing rule resolved to. */
  target: string;
  payload: JsonObject;
  metadata: JsonObject;
  priority: number;
  status: TaskStatus;
  /** Attempts started so far. */
  attempts: number;
  maxRetries: number;
  timeoutMs: number;
  corrId: string | null;
  callbackUrl: string | null;
  /** The agent that ran (or last tried) the task. */
  agent: string | null;
  result: unknown;
  error: SerializedError | null;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** Wall time of the successful or last attempt, in ms. */
  executionMs: number | null;
}

/** A state change to an existing task (only the listed fields change). */
export type TaskUpdate = Pick<TaskRecord, 'id' | 'status' | 'attempts' | 'updatedAt'> &
  Partial<Pick<TaskRecord, 'agent' | 'result' | 'error' | 'startedAt' | 'finishedAt' | 'executionMs'>>;

/** A task that exhausted its attempts or failed for good, kept for inspection and replay. */
export interface DeadLetterRecord {
  id: string;
  taskId: string;
  pattern: string;
  target: string;
  payload: JsonObject;
  metadata: JsonObject;
  priority: number;
  corrId: string | null;
  agent: string | null;
  attempts: number;
  error: SerializedError;
  deadAt: number;
  /** Set when replayed: the new task's id and when. */
  replayedTaskId: string | null;
  replayedAt: number | null;
}
