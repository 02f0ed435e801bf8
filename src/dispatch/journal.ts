import { ConclaveError } from '../core/errors.ts';
import type { DeadLetterRecord, TaskRecord, TaskUpdate } from '../core/task.ts';
import type { TaskRepository } from '../store/store.ts';

/** Options for {@link TaskJournal}. */
export interface TaskJournalOptions {
  /** Most rows of one kind in one transaction; more waits for the next. */
  maxBatch: number;
  /** Called when a commit fails (the waiting submits are rejected too). */
  onError?: (error: unknown) => void;
  /** Called after each commit with its size and duration (for metrics). */
  onCommit?: (rows: number, ms: number) => void;
}

/**
 * Group commit for task state. Writes made in the same turn of the event loop (and while a
 * commit is running) go to the store in one transaction; each writer awaits the commit that holds
 * its write. Updates to one task coalesce: only its latest state is written.
 * @remarks An update can never overtake its task's insert: the dispatcher only runs a task after
 * the commit holding its insert has resolved.
 */
export class TaskJournal {
  #inserts: TaskRecord[] = [];
  #updates = new Map<string, TaskUpdate>();
  #deadLetters: DeadLetterRecord[] = [];
  #pending: Deferred | undefined;
  #running: Promise<void> | undefined;
  #scheduled = false;
  #closed = false;

  constructor(
    private readonly tasks: TaskRepository,
    private readonly options: TaskJournalOptions,
  ) {}

  /** Rows waiting for a commit. */
  get backlog(): number {
    return this.#inserts.length + this.#updates.size + this.#deadLetters.length;
  }

  /** Queues an insert; resolves once it is committed. */
  insert(record: TaskRecord): Promise<void> {
    this.#inserts.push(record);
    return this.#schedule();
  }

  /** Queues many inserts; resolves once all are committed. */
  insertMany(records: readonly TaskRecord[]): Promise<void> {
    for (const r of records) this.#inserts.push(r);
    return this.#schedule();
  }

  /** Queues a state change; merges with a not-yet-written change to the same task. */
  update(update: TaskUpdate): Promise<void> {
    const prior = this.#updates.get(update.id);
    // Update objects are the journal's own (callers build one per call), so merging in place is safe.
    if (prior === undefined) this.#updates.set(update.id, update);
    else Object.assign(prior, update);
    return this.#schedule();
  }

  /** Queues a dead letter (with its task's final update, in the same transaction). */
  deadLetter(update: TaskUpdate, letter: DeadLetterRecord): Promise<void> {
    this.#deadLetters.push(letter);
    return this.update(update);
  }

  /** Resolves when everything written so far is committed. */
  async flush(): Promise<void> {
    while (this.#pending !== undefined || this.#running !== undefined) {
      await (this.#pending?.promise ?? this.#running);
    }
  }

  /** Flushes, then refuses further writes. */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
  }

  #schedule(): Promise<void> {
    if (this.#closed) return Promise.reject(new ConclaveError('SHUTTING_DOWN', 'the task journal is closed'));
    this.#pending ??= new Deferred();
    if (!this.#scheduled && this.#running === undefined) {
      this.#scheduled = true;
      setImmediate(() => this.#commit());
    }
    return this.#pending.promise;
  }

  #commit(): void {
    this.#scheduled = false;
    const waiters = this.#pending;
    if (waiters === undefined) return;
    const max = this.options.maxBatch;
    const inserts = this.#takeInserts(max);
    const updates = this.#takeUpdates(max);
    const deadLetters = this.#deadLetters;
    this.#deadLetters = [];
    const more = this.#inserts.length > 0 || this.#updates.size > 0;
    // Writers of rows left for the next batch keep waiting on a fresh deferred.
    this.#pending = more ? new Deferred() : undefined;
    const startedAt = performance.now();
    const rows = inserts.length + updates.length + deadLetters.length;
    this.#running = this.tasks
      .writeBatch({ inserts, updates, deadLetters })
      .then(
        () => {
          this.options.onCommit?.(rows, performance.now() - startedAt);
          if (more) this.#pending?.chain(waiters);
          else waiters.resolve();
        },
        (error: unknown) => {
          this.options.onError?.(error);
          waiters.reject(error);
        },
      )
      .finally(() => {
        this.#running = undefined;
        if (this.#pending !== undefined) this.#commit();
      });
  }

  #takeInserts(max: number): TaskRecord[] {
    if (this.#inserts.length <= max) {
      const all = this.#inserts;
      this.#inserts = [];
      return all;
    }
    return this.#inserts.splice(0, max);
  }

  #takeUpdates(max: number): TaskUpdate[] {
    const out: TaskUpdate[] = [];
    for (const [id, u] of this.#updates) {
      if (out.length >= max) break;
      out.push(u);
      this.#updates.delete(id);
    }
    return out;
  }
}

/** A promise with its resolvers, that can also settle when another one does. */
class Deferred {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Writers that do not await (fire-and-forget updates) must not cause unhandled rejections;
    // failures reach onError.
    this.promise.catch(() => undefined);
  }

  /** Settles `other` when this settles. */
  chain(other: Deferred): void {
    this.promise.then(other.resolve, other.reject);
  }
}
