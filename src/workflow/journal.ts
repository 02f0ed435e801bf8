import { ConclaveError, toConclaveError } from '../core/errors.ts';
import { copyRecord } from '../core/records.ts';
import type { RunRecord, RunStatus, RunUpdate, WorkflowEvent } from '../core/workflow-run.ts';
import type { WorkflowOp as Op, WorkflowRepository } from '../store/store.ts';

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
  readonly #repo: WorkflowRepository;
  #pending: Pending = { ops: [], waiters: [] };
  #running: Promise<void> | null = null;
  #scheduled = false;
  #closed = false;
  readonly #nextSeq = new Map<string, number>();

  constructor(repository: WorkflowRepository) {
    this.#repo = repository;
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
    const full = copyRecord(event) as WorkflowEvent; // not a spread: see core/records.ts
    full.seq = seq;
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
  getRun(id: string): Promise<RunRecord | undefined> {
    return this.#repo.getRun(id);
  }

  /** Runs in the given states (all when omitted), oldest first. */
  listRuns(statuses?: readonly RunStatus[]): Promise<RunRecord[]> {
    return this.#repo.listRuns(statuses);
  }

  /** A run's events in order; also primes the sequence counter so appends continue after them. */
  async events(runId: string): Promise<WorkflowEvent[]> {
    const events = await this.#repo.events(runId);
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
    const running = this.#repo
      .writeBatch(batch.ops)
      .then(
        () => {
          for (const w of batch.waiters) w.resolve();
        },
        (err: unknown) => {
          const error = toConclaveError(err, 'STORE_ERROR');
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
