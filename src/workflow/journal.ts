import type { Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';
import { ConclaveError } from '../core/errors.ts';
import { toNumber, toNumberOrNull, type Database } from '../store/schema.ts';
import type {
  RunRecord,
  RunStatus,
  RunUpdate,
  WorkflowEvent,
  WorkflowEventsTable,
  WorkflowRunsTable,
  WorkflowTables,
} from './journal-types.ts';

/** Events per multi-row INSERT: 8 parameters each, well under SQLite's 32,766. */
const EVENTS_PER_STATEMENT = 500;

type Op =
  | { kind: 'insert'; run: RunRecord }
  | { kind: 'event'; event: WorkflowEvent }
  | { kind: 'update'; id: string; update: RunUpdate };

interface Pending {
  ops: Op[];
  waiters: { resolve: () => void; reject: (e: unknown) => void }[];
}

/**
 * The durable workflow journal: run rows and their append-only event log.
 * @remarks Group commit, as the dispatcher's task journal does it: every write made in one turn of
 * the event loop (and while a commit is running) goes to the store in one transaction, in the
 * order it was made, and each writer awaits that commit. Only one commit runs at a time, so
 * transactions land in order on PostgreSQL's pool as on SQLite. Sequence numbers are assigned here,
 * so a run's events are numbered in the order they were appended.
 */
export class WorkflowJournal {
  readonly #db: Kysely<WorkflowTables>;
  #pending: Pending = { ops: [], waiters: [] };
  #running: Promise<void> | null = null;
  #scheduled = false;
  #closed = false;
  readonly #nextSeq = new Map<string, number>();

  constructor(db: Kysely<Database>) {
    // The store types only its own tables; the journal adds its two (created by migration 0003).
    this.#db = db as unknown as Kysely<WorkflowTables>;
  }

  /** Creates a run row; resolves once committed. A duplicate id fails with `CONFLICT`. */
  insertRun(run: RunRecord): Promise<void> {
    this.#nextSeq.set(run.id, 1);
    return this.#enqueue([{ kind: 'insert', run }]);
  }

  /**
   * Appends an event (and optionally changes the run row in the same transaction); resolves with the
   * event once committed.
   */
  async append(event: Omit<WorkflowEvent, 'seq'>, update?: RunUpdate): Promise<WorkflowEvent> {
    const seq = this.#nextSeq.get(event.runId) ?? 1;
    this.#nextSeq.set(event.runId, seq + 1);
    const full: WorkflowEvent = { ...event, seq };
    const ops: Op[] = [{ kind: 'event', event: full }];
    if (update !== undefined) ops.push({ kind: 'update', id: event.runId, update });
    await this.#enqueue(ops);
    return full;
  }

  /** Changes a run row; resolves once committed. */
  updateRun(id: string, update: RunUpdate): Promise<void> {
    return this.#enqueue([{ kind: 'update', id, update }]);
  }

  /** Drops a finished run's sequence counter (it appends no more). */
  forget(runId: string): void {
    this.#nextSeq.delete(runId);
  }

  /** A run's row, or undefined. */
  async getRun(id: string): Promise<RunRecord | undefined> {
    const row = await this.#db
      .selectFrom('workflow_runs')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : fromRunRow(row);
  }

  /** Runs in the given states (all when omitted), oldest first. */
  async listRuns(statuses?: readonly RunStatus[]): Promise<RunRecord[]> {
    let q = this.#db.selectFrom('workflow_runs').selectAll();
    if (statuses !== undefined) {
      if (statuses.length === 0) return [];
      q = q.where('status', 'in', statuses);
    }
    const rows = await q.orderBy('created_at').orderBy('id').execute();
    return rows.map(fromRunRow);
  }

  /** A run's events in order; also primes the sequence counter so appends continue after them. */
  async events(runId: string): Promise<WorkflowEvent[]> {
    const rows = await this.#db
      .selectFrom('workflow_events')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('seq')
      .execute();
    const events = rows.map(fromEventRow);
    const last = events.at(-1)?.seq ?? 0;
    if ((this.#nextSeq.get(runId) ?? 1) <= last) this.#nextSeq.set(runId, last + 1);
    return events;
  }

  /** Resolves when everything appended so far is committed (or has failed). */
  async flush(): Promise<void> {
    while (this.#running !== null || this.#pending.ops.length > 0) {
      if (this.#running !== null) await this.#running.catch(() => undefined);
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Flushes, then refuses further writes. */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
  }

  #enqueue(ops: Op[]): Promise<void> {
    if (this.#closed)
      return Promise.reject(new ConclaveError('SHUTTING_DOWN', 'the workflow journal is closed'));
    return new Promise<void>((resolve, reject) => {
      this.#pending.ops.push(...ops);
      this.#pending.waiters.push({ resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#running !== null) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#commit();
    });
  }

  #commit(): void {
    if (this.#running !== null || this.#pending.ops.length === 0) return;
    const batch = this.#pending;
    this.#pending = { ops: [], waiters: [] };
    const running = this.#db
      .transaction()
      .execute((trx) => writeOps(trx, batch.ops))
      .then(
        () => {
          for (const w of batch.waiters) w.resolve();
        },
        (err: unknown) => {
          const error = new ConclaveError(
            isUniqueViolation(err) ? 'CONFLICT' : 'STORE_ERROR',
            `workflow journal commit failed: ${errorText(err)}`,
            {
              cause: err,
            },
          );
          for (const w of batch.waiters) w.reject(error);
        },
      )
      .finally(() => {
        this.#running = null;
        if (this.#pending.ops.length > 0) this.#schedule();
      });
    this.#running = running;
  }
}

async function writeOps(trx: Transaction<WorkflowTables>, ops: readonly Op[]): Promise<void> {
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

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
