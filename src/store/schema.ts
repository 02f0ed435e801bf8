import type { ColumnType } from 'kysely';
import type { TaskStatus } from '../core/task.ts';
import type { RunStatus, WorkflowEventType } from '../core/workflow-run.ts';
import type { BacktestStatus, CallbackDeliveryStatus } from './store.ts';

/**
 * A BIGINT column (epoch-millisecond times, durations): BIGINT in PostgreSQL, INTEGER in SQLite.
 * @remarks node-postgres reads BIGINT as a string (it may exceed 2^53), so reads are typed
 * `number | string` and the row mapping converts them back with {@link toNumber}.
 */
export type BigIntColumn = ColumnType<number | string, number, number>;
/** A nullable {@link BigIntColumn}. */
export type NullableBigIntColumn = ColumnType<number | string | null, number | null, number | null>;

/** The `tasks` table. JSON columns hold `JSON.stringify` text in both dialects. */
export interface TasksTable {
  id: string;
  pattern: string;
  target: string;
  /** JSON object. */
  payload: string;
  /** JSON object. */
  metadata: string;
  priority: number;
  status: TaskStatus;
  attempts: number;
  max_retries: number;
  timeout_ms: BigIntColumn;
  corr_id: string | null;
  callback_url: string | null;
  agent: string | null;
  /** JSON value, NULL when there is none. */
  result: string | null;
  /** JSON `SerializedError`. */
  error: string | null;
  created_at: BigIntColumn;
  updated_at: BigIntColumn;
  started_at: NullableBigIntColumn;
  finished_at: NullableBigIntColumn;
  /** DOUBLE PRECISION: attempt wall times may be fractional. */
  execution_ms: number | null;
}

/** The `dead_letters` table. */
export interface DeadLettersTable {
  id: string;
  task_id: string;
  pattern: string;
  target: string;
  /** JSON object. */
  payload: string;
  /** JSON object. */
  metadata: string;
  priority: number;
  corr_id: string | null;
  agent: string | null;
  attempts: number;
  /** JSON `SerializedError`. */
  error: string;
  dead_at: BigIntColumn;
  replayed_task_id: string | null;
  replayed_at: NullableBigIntColumn;
}

/** Every table Conclave's store owns, as kysely sees them. Later migrations add theirs here. */
export interface Database {
  tasks: TasksTable;
  dead_letters: DeadLettersTable;
  workflow_runs: WorkflowRunsTable;
  workflow_events: WorkflowEventsTable;
  settings: SettingsTable;
  audit_entries: AuditEntriesTable;
  strategies: StrategiesTable;
  backtests: BacktestsTable;
  callback_deliveries: CallbackDeliveriesTable;
}

/** Converts a BIGINT read (a string from node-postgres, a number from SQLite) to a number. */
export function toNumber(value: number | string | bigint): number {
  return typeof value === 'number' ? value : Number(value);
}

/** {@link toNumber} that keeps NULL. */
export function toNumberOrNull(value: number | string | bigint | null): number | null {
  return value === null ? null : toNumber(value);
}

/** The `workflow_runs` table. */
export interface WorkflowRunsTable {
  id: string;
  name: string;
  version: string;
  status: RunStatus;
  input: string;
  output: string | null;
  error: string | null;
  requester: string | null;
  parent_run_id: string | null;
  definition: string | null;
  created_at: BigIntColumn;
  started_at: NullableBigIntColumn;
  finished_at: NullableBigIntColumn;
  deadline_at: NullableBigIntColumn;
  updated_at: BigIntColumn;
}

/** The `workflow_events` table. */
export interface WorkflowEventsTable {
  run_id: string;
  seq: number;
  type: WorkflowEventType;
  step_id: string | null;
  item_index: number | null;
  attempt: number | null;
  data: string;
  at: BigIntColumn;
}

/** The `settings` table (migration 0004). */
export interface SettingsTable {
  key: string;
  /** JSON value. */
  value: string;
  updated_at: BigIntColumn;
  updated_by: string | null;
}

/** The `audit_entries` table (migration 0004). */
export interface AuditEntriesTable {
  id: string;
  at: BigIntColumn;
  kind: string;
  corr_id: string | null;
  actor: string | null;
  /** JSON value. */
  data: string;
}

/** The `strategies` table (migration 0005). */
export interface StrategiesTable {
  id: string;
  name: string;
  template: string | null;
  /** JSON object: the validated strategy. */
  definition: string;
  created_at: BigIntColumn;
  updated_at: BigIntColumn;
  /** The workflow run executing it (migration 0008); NULL on rows stored before strategies ran. */
  run_id: string | null;
}

/** The `backtests` table (migration 0005). */
export interface BacktestsTable {
  id: string;
  strategy_id: string | null;
  status: BacktestStatus;
  /** JSON object: what the run was asked for. */
  options: string;
  /** JSON object, NULL until the run completes. */
  summary: string | null;
  /** JSON object (equity curve, trades), NULL until the run completes. */
  artifacts: string | null;
  /** JSON object, NULL until the run completes. */
  manifest: string | null;
  /** JSON `SerializedError`, NULL unless the run failed. */
  error: string | null;
  created_at: BigIntColumn;
  started_at: NullableBigIntColumn;
  finished_at: NullableBigIntColumn;
  /** The creating process's `server.instance_id` (migration 0007); NULL on older rows. */
  owner: string | null;
}

/** The `callback_deliveries` table (migration 0006). */
export interface CallbackDeliveriesTable {
  id: string;
  task_id: string;
  corr_id: string | null;
  url: string;
  event: string;
  /** The JSON body as sent (text, so the signed bytes are kept exactly). */
  body: string;
  status: CallbackDeliveryStatus;
  attempts: number;
  last_status: number | null;
  error: string | null;
  created_at: BigIntColumn;
  updated_at: BigIntColumn;
  /** The creating process's `server.instance_id` (migration 0007); NULL on older rows. */
  owner: string | null;
}
