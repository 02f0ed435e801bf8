import type { Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';
import type { RunRecord, RunStatus, RunUpdate, WorkflowEvent } from '../core/workflow-run.ts';
import {
  toNumber,
  toNumberOrNull,
  type Database,
  type WorkflowEventsTable,
  type WorkflowRunsTable,
} from './schema.ts';
import { guard, isUniqueViolation, storeError } from './store-errors.ts';
import type { WorkflowOp, WorkflowRepository } from './store.ts';
import { ConclaveError } from '../core/errors.ts';

/** Events per multi-row INSERT: 8 parameters each, well under SQLite's 32,766. */
const EVENTS_PER_STATEMENT = 500;

/** The workflow journal's tables through kysely (created by migration 0003). */
export class KyselyWorkflowRepository implements WorkflowRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async writeBatch(ops: readonly WorkflowOp[]): Promise<void> {
    try {
      await this.db.transaction().execute((trx) => writeOps(trx, ops));
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new ConclaveError(
          'CONFLICT',
          `workflow journal write refused a duplicate: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
      throw storeError('workflow journal write', err);
    }
  }

  getRun(id: string): Promise<RunRecord | undefined> {
    return guard('getRun', async () => {
      const row = await this.db
        .selectFrom('workflow_runs')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : fromRunRow(row);
    });
  }

  listRuns(statuses?: readonly RunStatus[]): Promise<RunRecord[]> {
    return guard('listRuns', async () => {
      let q = this.db.selectFrom('workflow_runs').selectAll();
      if (statuses !== undefined) {
        if (statuses.length === 0) return [];
        q = q.where('status', 'in', [...statuses]);
      }
      const rows = await q.orderBy('created_at').orderBy('id').execute();
      return rows.map(fromRunRow);
    });
  }

  events(runId: string): Promise<WorkflowEvent[]> {
    return guard('events', async () => {
      const rows = await this.db
        .selectFrom('workflow_events')
        .selectAll()
        .where('run_id', '=', runId)
        .orderBy('seq')
        .execute();
      return rows.map(fromEventRow);
    });
  }
}

async function writeOps(trx: Transaction<Database>, ops: readonly WorkflowOp[]): Promise<void> {
  let events: Insertable<WorkflowEventsTable>[] = [];
  const flushEvents = async (): Promise<void> => {
    for (let i = 0; i < events.length; i += EVENTS_PER_STATEMENT) {
      await trx
        .insertInto('workflow_events')
        .values(events.slice(i, i + EVENTS_PER_STATEMENT))
        .execute();
    }
    events = [];
  };
  // Events are batched into multi-row inserts; a run insert or update first writes the events
  // before it, so the order of the batch is kept.
  for (const op of ops) {
    if (op.kind === 'event') {
      events.push(toEventRow(op.event));
      continue;
    }
    await flushEvents();
    if (op.kind === 'insert') await trx.insertInto('workflow_runs').values(toRunRow(op.run)).execute();
    else
      await trx.updateTable('workflow_runs').set(toRunUpdateRow(op.update)).where('id', '=', op.id).execute();
  }
  await flushEvents();
}

function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function parse(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

function toRunRow(r: RunRecord): Insertable<WorkflowRunsTable> {
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

function toRunUpdateRow(u: RunUpdate): Updateable<WorkflowRunsTable> {
  const row: Updateable<WorkflowRunsTable> = { updated_at: u.updatedAt };
  if (u.status !== undefined) row.status = u.status;
  if ('output' in u) row.output = json(u.output);
  if (u.error !== undefined) row.error = json(u.error);
  if (u.startedAt !== undefined) row.started_at = u.startedAt;
  if (u.finishedAt !== undefined) row.finished_at = u.finishedAt;
  if (u.deadlineAt !== undefined) row.deadline_at = u.deadlineAt;
  return row;
}

function fromRunRow(row: Selectable<WorkflowRunsTable>): RunRecord {
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

function toEventRow(e: WorkflowEvent): Insertable<WorkflowEventsTable> {
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

function fromEventRow(row: Selectable<WorkflowEventsTable>): WorkflowEvent {
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
