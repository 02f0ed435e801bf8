import type { SerializedError } from '../core/errors.ts';
import type { AuditEntry, AuditQuery, SettingEntry, SettingRecord } from '../core/audit.ts';
import type { DeadLetterRecord, TaskRecord, TaskStatus, TaskUpdate } from '../core/task.ts';
import type { RunRecord, RunStatus, RunUpdate, WorkflowEvent } from '../core/workflow-run.ts';

/**
 * Durable records. One schema, one query builder (kysely), two dialects: SQLite (embedded
 * default) and PostgreSQL (distributed). Domain code talks to these repositories only.
 */

/** Everything one group commit writes, in one transaction: all of it lands, or none. */
export interface TaskBatch {
  inserts?: readonly TaskRecord[];
  updates?: readonly TaskUpdate[];
  deadLetters?: readonly DeadLetterRecord[];
}

/** Filter for listing dead letters. */
export interface DeadLetterQuery {
  /** Default false: only letters not yet replayed. */
  includeReplayed?: boolean;
  pattern?: string;
  limit?: number;
  offset?: number;
}

/** Tasks and their dead letters. */
export interface TaskRepository {
  /** Writes a batch atomically. */
  writeBatch(batch: TaskBatch): Promise<void>;
  /**
   * True when batches land in the order `writeBatch` was called, however many are in flight (the
   * SQLite writers: one connection, batches queued first in, first out). A caller may then hand
   * over a batch before the previous one has committed; otherwise it must wait for it.
   */
  readonly writesInOrder: boolean;
  get(id: string): Promise<TaskRecord | undefined>;
  getMany(ids: readonly string[]): Promise<TaskRecord[]>;
  /** Tasks in the given states, oldest first (for crash recovery). */
  listByStatus(statuses: readonly TaskStatus[], limit?: number): Promise<TaskRecord[]>;
  countByStatus(): Promise<Record<TaskStatus, number>>;
  listDeadLetters(query?: DeadLetterQuery): Promise<DeadLetterRecord[]>;
  getDeadLetter(id: string): Promise<DeadLetterRecord | undefined>;
  /** Records that a dead letter was replayed as `newTaskId`. `NOT_FOUND` if unknown, `CONFLICT` if already replayed. */
  markDeadLetterReplayed(id: string, newTaskId: string, at: number): Promise<void>;
  /** Deletes the given dead letters, or all of them; returns how many went. */
  purgeDeadLetters(ids?: readonly string[]): Promise<number>;
}

/** One write to the workflow journal; a batch of them lands in one transaction, in order. */
export type WorkflowOp =
  | { kind: 'insert'; run: RunRecord }
  | { kind: 'event'; event: WorkflowEvent }
  | { kind: 'update'; id: string; update: RunUpdate };

/** Workflow runs and their append-only event log. */
export interface WorkflowRepository {
  /** Writes the ops in order, atomically. A duplicate run id or event is `CONFLICT`. */
  writeBatch(ops: readonly WorkflowOp[]): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /** Runs in the given states (all when omitted), oldest first. */
  listRuns(statuses?: readonly RunStatus[]): Promise<RunRecord[]>;
  /** A run's events in sequence order. */
  events(runId: string): Promise<WorkflowEvent[]>;
}

/** Operator settings: one JSON value per key, last writer wins and is recorded. */
export interface SettingsRepository {
  get(key: string): Promise<SettingRecord | undefined>;
  /** Inserts or replaces the value (any JSON value); `at` (epoch ms) defaults to now — pass the injected clock's. */
  set(key: string, value: unknown, by: string | null, at?: number): Promise<void>;
  /** Settings whose key starts with `prefix` (all when omitted), by key. */
  list(prefix?: string): Promise<SettingEntry[]>;
}

/** The append-only audit log. */
export interface AuditRepository {
  /** Appends an entry; a duplicate id is `CONFLICT`. */
  append(entry: AuditEntry): Promise<void>;
  /** Matching entries, newest first (by time, then id). */
  list(query?: AuditQuery): Promise<AuditEntry[]>;
}

/** A stored trading strategy: its validated definition, as JSON, under its id. */
export interface StrategyRecord {
  id: string;
  name: string;
  /** The template it was made from, or null for a strategy written out in full. */
  template: string | null;
  /** The validated strategy (a JSON object). */
  definition: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  /**
   * The workflow run executing it (its latest run), or null for a strategy stored without one
   * (before strategies ran when stored).
   */
  runId: string | null;
}

/** A strategy run again: the run that replaces its current one, and the definition it runs. */
export interface StrategyRerun {
  /** The run the strategy must still point at; null for a strategy that has none. */
  expectedRunId: string | null;
  runId: string;
  name: string;
  template: string | null;
  definition: Record<string, unknown>;
  updatedAt: number;
}

/** Paging for listings: newest first. */
export interface PageQuery {
  /** Default 100. */
  limit?: number;
  offset?: number;
}

/** Stored strategies. */
export interface StrategyRepository {
  /** Stores a new strategy; a taken id is `CONFLICT`. */
  insert(record: StrategyRecord): Promise<void>;
  get(id: string): Promise<StrategyRecord | undefined>;
  /** Strategies, newest first (by creation time, then id). */
  list(query?: PageQuery): Promise<StrategyRecord[]>;
  /**
   * Points a strategy at a new run with the definition it runs (creation time kept), only if it
   * still points at `rerun.expectedRunId` (compare-and-set, so two requests cannot both re-run
   * it); false when it does not, or when there is no such strategy.
   */
  replaceRun(id: string, rerun: StrategyRerun): Promise<boolean>;
  /** Deletes a strategy; false when there was none. Its backtests are kept. */
  delete(id: string): Promise<boolean>;
}

/** Where a backtest is in its life. */
export type BacktestStatus = 'queued' | 'running' | 'completed' | 'failed';

/** The states a backtest can be in, in life order. */
export const BACKTEST_STATUSES: readonly BacktestStatus[] = ['queued', 'running', 'completed', 'failed'];

/** A backtest run and, once it has ended, what it produced. */
export interface BacktestRecord {
  id: string;
  /** The stored strategy it ran, or null for an inline strategy (kept in `options`). */
  strategyId: string | null;
  status: BacktestStatus;
  /** What the run was asked for (a JSON object). */
  options: Record<string, unknown>;
  /** Metrics and counters (a JSON object) once completed. */
  summary: Record<string, unknown> | null;
  /** The reproducibility manifest (a JSON object) once completed. */
  manifest: Record<string, unknown> | null;
  error: SerializedError | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /**
   * The `server.instance_id` of the process that accepted it, which alone recovers it after a
   * restart; null for a record written before owners were recorded.
   */
  owner: string | null;
}

/** A change to a backtest: its new status and whatever became known with it. */
export interface BacktestUpdate {
  status: BacktestStatus;
  summary?: Record<string, unknown>;
  manifest?: Record<string, unknown>;
  /** The bulky outputs (equity curve, trades), read back only through `getArtifacts`. */
  artifacts?: Record<string, unknown>;
  error?: SerializedError;
  /** Null clears it (a run put back in the queue to resume on the next start). */
  startedAt?: number | null;
  finishedAt?: number;
}

/** Filter for listing backtests. */
export interface BacktestQuery extends PageQuery {
  strategyId?: string;
  statuses?: readonly BacktestStatus[];
  /**
   * Only runs this instance may recover: those whose `owner` is this id, and those with no owner
   * (written before owners were recorded). Unset: every owner.
   */
  owner?: string;
}

/** Backtest runs: status, summary, manifest, and their bulky outputs kept apart. */
export interface BacktestRepository {
  /** Records a new run; a taken id is `CONFLICT`. */
  insert(record: BacktestRecord): Promise<void>;
  /** Applies an update; `NOT_FOUND` for an unknown id. */
  update(id: string, update: BacktestUpdate): Promise<void>;
  get(id: string): Promise<BacktestRecord | undefined>;
  /** The run's equity curve and trades (a JSON object), undefined until it has completed. */
  getArtifacts(id: string): Promise<Record<string, unknown> | undefined>;
  /** Matching runs, newest first. */
  list(query?: BacktestQuery): Promise<BacktestRecord[]>;
}

/** Where a callback delivery is: still to be sent, or ended one way or the other. */
export type CallbackDeliveryStatus = 'pending' | 'delivered' | 'failed';

/**
 * One callback delivery: the exact body POSTed to `url` (signed afresh on every attempt), recorded
 * before the first attempt so a delivery still retrying when the process stops resumes on the
 * next start.
 */
export interface CallbackDeliveryRecord {
  /** The delivery id, sent as `x-conclave-delivery` on every attempt, across restarts too. */
  id: string;
  taskId: string;
  corrId: string | null;
  url: string;
  /** The event name, sent as `x-conclave-event` (`task.finished`). */
  event: string;
  /** The JSON body, byte for byte as sent and signed. */
  body: string;
  status: CallbackDeliveryStatus;
  /** Attempts made so far, across restarts. */
  attempts: number;
  /** The receiver's last HTTP status, null when no attempt got an answer. */
  lastStatus: number | null;
  /** Why it has not been delivered (yet), null when delivered or not tried. */
  error: string | null;
  createdAt: number;
  updatedAt: number;
  /**
   * The `server.instance_id` of the process that recorded it, which alone resumes it after a
   * restart; null for a delivery recorded before owners were.
   */
  owner: string | null;
}

/** Filter for listing pending callback deliveries. */
export interface PendingCallbackQuery extends PageQuery {
  /**
   * Only deliveries this instance may resume: those whose `owner` is this id, and those with no
   * owner (recorded before owners were). Unset: every owner.
   */
  owner?: string;
}

/** A change to a callback delivery after attempts. */
export interface CallbackDeliveryUpdate {
  status: CallbackDeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  error: string | null;
  updatedAt: number;
}

/** Callback deliveries: recorded before the first attempt, ended delivered or failed. */
export interface CallbackRepository {
  /** Records a new delivery; a taken id is `CONFLICT`. */
  insert(record: CallbackDeliveryRecord): Promise<void>;
  /** Applies an update; `NOT_FOUND` for an unknown id. */
  update(id: string, update: CallbackDeliveryUpdate): Promise<void>;
  get(id: string): Promise<CallbackDeliveryRecord | undefined>;
  /** Deliveries still `pending`, oldest first (by creation time, then id). */
  listPending(query?: PendingCallbackQuery): Promise<CallbackDeliveryRecord[]>;
}

/** The store: repositories plus lifecycle. */
export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly tasks: TaskRepository;
  readonly workflows: WorkflowRepository;
  readonly settings: SettingsRepository;
  readonly audit: AuditRepository;
  readonly strategies: StrategyRepository;
  readonly backtests: BacktestRepository;
  readonly callbacks: CallbackRepository;
  /** Applies pending migrations (idempotent; called on start). */
  migrate(): Promise<void>;
  /** Cheap liveness probe. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
