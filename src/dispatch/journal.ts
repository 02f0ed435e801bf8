import { ConclaveError } from '../core/errors.ts';
import type { DeadLetterRecord, TaskRecord, TaskStatus } from '../core/task.ts';
import type { TaskRepository } from '../store/store.ts';

/** How long a failed commit's state changes wait before they are tried again. */
const RETRY_AFTER_FAILURE_MS = 250;

/** Options for {@link TaskJournal}. */
export interface TaskJournalOptions {
  /** Most rows of one kind in one transaction; more waits for the next. */
  maxBatch: number;
  /** Called when a commit fails (the waiting submits are rejected too). */
  onError?: (error: unknown) => void;
  /**
   * Called after each commit with the records whose state it wrote and the status each had when
   * the batch was formed (what is now durable at the least).
   */
  onCommitted?: (records: readonly TaskRecord[], statuses: readonly TaskStatus[]) => void;
}

/**
 * Group commit for task state. Inserts made in the same turn of the event loop (and while a
 * commit is running) go to the store in one transaction; each inserter awaits the commit that
 * holds its row. State changes are not queued one by one: a changed task is marked dirty and its
 * *current* state is written at the next commit, so any number of changes between two commits
 * cost one row write.
 * @remarks An update can never overtake its task's insert: the dispatcher only runs a task after
 * the commit holding its insert has resolved.
 */
export class TaskJournal {
  #inserts: TaskRecord[] = [];
  #dirty = new Set<TaskRecord>();
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
    return this.#inserts.length + this.#dirty.size + this.#deadLetters.length;
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

  /** Marks a task changed: its state as of the next commit gets written. */
  touch(record: TaskRecord): void {
    this.#dirty.add(record);
    void this.#schedule();
  }

  /** Marks a task changed and adds its dead letter, in the same transaction as its final state. */
  deadLetter(record: TaskRecord, letter: DeadLetterRecord): void {
    this.#deadLetters.push(letter);
    this.touch(record);
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
    const updates = this.#takeDirty(max);
    const statuses = updates.map((r) => r.status);
    const deadLetters = this.#deadLetters;
    this.#deadLetters = [];
    const more = this.#inserts.length > 0 || this.#dirty.size > 0;
    // Writers of rows left for the next batch keep waiting on a fresh deferred.
    this.#pending = more ? new Deferred() : undefined;
    this.#running = this.tasks
      .writeBatch({ inserts, updates, deadLetters })
      .then(
        () => {
          if (updates.length > 0) this.options.onCommitted?.(updates, statuses);
          if (more) this.#pending?.chain(waiters);
          else waiters.resolve();
        },
        (error: unknown) => {
          // Nothing of the batch landed: its changed tasks stay dirty for the next attempt.
          for (const r of updates) this.#dirty.add(r);
          this.#deadLetters.unshift(...deadLetters);
          this.options.onError?.(error);
          waiters.reject(error);
          if (this.#dirty.size > 0 && !this.#closed) {
            setTimeout(() => void this.#schedule(), RETRY_AFTER_FAILURE_MS).unref();
          }
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

  #takeDirty(max: number): TaskRecord[] {
    if (this.#dirty.size <= max) {
      const all = [...this.#dirty];
      this.#dirty.clear();
      return all;
    }
    const out: TaskRecord[] = [];
    for (const r of this.#dirty) {
      if (out.length >= max) break;
      out.push(r);
      this.#dirty.delete(r);
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
    // Writers that do not await (state changes) must not cause unhandled rejections; failures
    // reach onError.
    this.promise.catch(() => undefined);
  }

  /** Settles `other` when this settles. */
  chain(other: Deferred): void {
    this.promise.then(other.resolve, other.reject);
  }
}
