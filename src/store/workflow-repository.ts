import type { Insertable, Kysely, Transaction } from 'kysely';
import type { RunRecord, RunStatus, WorkflowEvent } from '../core/workflow-run.ts';
import type { Database, WorkflowEventsTable } from './schema.ts';
import { fromEventRow, fromRunRow, toEventRow, toRunRow, toRunUpdateRow } from './workflow-rows.ts';
import { guard, isUniqueViolation, storeError } from './store-errors.ts';
import type { WorkflowOp, WorkflowRepository } from './store.ts';
import { ConclaveError } from '../core/errors.ts';

/** Events per multi-row INSERT: 8 parameters each, well under SQLite's 32,766. */
const EVENTS_PER_STATEMENT = 500;

/** Writes journal batches some faster way than kysely's (the SQLite prepared-statement path). */
export interface WorkflowBatchWriter {
  write(ops: readonly WorkflowOp[]): Promise<void>;
}

/** The workflow journal's tables through kysely (created by migration 0003). */
export class KyselyWorkflowRepository implements WorkflowRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly writer?: WorkflowBatchWriter,
  ) {}

  async writeBatch(ops: readonly WorkflowOp[]): Promise<void> {
    try {
      if (this.writer !== undefined) await this.writer.write(ops);
      else await this.db.transaction().execute((trx) => writeOps(trx, ops));
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
