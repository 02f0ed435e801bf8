import type { Insertable, Selectable, Updateable } from 'kysely';
import type { RunRecord, RunUpdate, WorkflowEvent } from '../core/workflow-run.ts';
import { toNumber, toNumberOrNull, type WorkflowEventsTable, type WorkflowRunsTable } from './schema.ts';

/** Every `workflow_runs` column, in the order the SQLite writer binds them. */
export const RUN_COLUMNS = [
  'id',
  'name',
  'version',
  'status',
  'input',
  'output',
  'error',
  'requester',
  'parent_run_id',
  'definition',
  'created_at',
  'started_at',
  'finished_at',
  'deadline_at',
  'updated_at',
] as const satisfies readonly (keyof WorkflowRunsTable)[];

/** Every `workflow_events` column, in the order the SQLite writer binds them. */
export const EVENT_COLUMNS = [
  'run_id',
  'seq',
  'type',
  'step_id',
  'item_index',
  'attempt',
  'data',
  'at',
] as const satisfies readonly (keyof WorkflowEventsTable)[];

function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function parse(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

export function toRunRow(r: RunRecord): Insertable<WorkflowRunsTable> {
  return {
    id: r.id,
    name: r.name,
    version: r.version,
    status: r.status,
    input: json(r.input) ?? 'null',
    output: json(r.output),
    error: json(r.error),
    requester: r.requester,
    parent_run_id: r.parentRunId,
    definition: json(r.definition),
    created_at: r.createdAt,
    started_at: r.startedAt,
    finished_at: r.finishedAt,
    deadline_at: r.deadlineAt,
    updated_at: r.updatedAt,
  };
}

export function toRunUpdateRow(u: RunUpdate): Updateable<WorkflowRunsTable> {
  const row: Updateable<WorkflowRunsTable> = { updated_at: u.updatedAt };
  if (u.status !== undefined) row.status = u.status;
  if ('output' in u) row.output = json(u.output);
  if (u.error !== undefined) row.error = json(u.error);
  if (u.startedAt !== undefined) row.started_at = u.startedAt;
  if (u.finishedAt !== undefined) row.finished_at = u.finishedAt;
  if (u.deadlineAt !== undefined) row.deadline_at = u.deadlineAt;
  return row;
}

export function fromRunRow(row: Selectable<WorkflowRunsTable>): RunRecord {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    status: row.status,
    input: parse(row.input),
    output: parse(row.output),
    error: parse(row.error) as RunRecord['error'],
    requester: row.requester,
    parentRunId: row.parent_run_id,
    definition: parse(row.definition),
    createdAt: toNumber(row.created_at),
    startedAt: toNumberOrNull(row.started_at),
    finishedAt: toNumberOrNull(row.finished_at),
    deadlineAt: toNumberOrNull(row.deadline_at),
    updatedAt: toNumber(row.updated_at),
  };
}

export function toEventRow(e: WorkflowEvent): Insertable<WorkflowEventsTable> {
  return {
    run_id: e.runId,
    seq: e.seq,
    type: e.type,
    step_id: e.stepId,
    item_index: e.itemIndex,
    attempt: e.attempt,
    data: JSON.stringify(e.data),
    at: e.at,
  };
}

export function fromEventRow(row: Selectable<WorkflowEventsTable>): WorkflowEvent {
  return {
    runId: row.run_id,
    seq: toNumber(row.seq),
    type: row.type,
    stepId: row.step_id,
    itemIndex: row.item_index === null ? null : toNumber(row.item_index),
    attempt: row.attempt === null ? null : toNumber(row.attempt),
    data: JSON.parse(row.data) as Record<string, unknown>,
    at: toNumber(row.at),
  };
}
