import { ConclaveError } from '../core/errors.ts';
import type { DeadLetterRecord, TaskRecord, TaskStatus } from '../core/task.ts';
import type { TaskRepository } from '../store/store.ts';

/** How long a failed commit's state changes wait before they are tried again. */
const RETRY_AFTER_FAILURE_MS = 250;

/** What the journal tracks for a changed task: its live record. */
export interface JournalEntry {
  readonly rec: TaskRecord;
}

/** Options for {@link TaskJournal}. */
export interface TaskJournalOptions<E extends JournalEntry> {
  /** Most rows of one kind in one transaction; more waits for the next. */
  maxBatch: number;
  /**
   * Whether the store applies batches in the order they were handed to it (SQLite's writer does;
   * a PostgreSQL pool does not). Then commits may overlap: the next batch is formed while one is
   * written, and a full batch goes to the store as soon as it fills. Default false: one commit at
   * a time.
   */
  inOrder?: boolean;
  /** Called when a commit fails (the waiting submits are rejected too). */
  onError?: (error: unknown) => void;
  /**
   * Called after each commit with the records whose state it wrote and the status each had when
   * the batch was formed (what is now durable at the least).
   */
  onCommitted?: (entries: readonly E[], statuses: readonly TaskStatus[]) => void;
}

/**
 * Group commit for task state. Inserts made in the same turn of the event loop (and while a
 * commit is running) go to the store in one transaction; each inserter awaits the commit that
 * holds its row. State changes are not queued one by one: a changed task is marked dirty and its
 * *current* state is written at the next commit, so any number of changes between two commits
 * cost one row write. A batch that fills up (maxBatch inserts, or maxBatch changed tasks) goes to
 * an in-order store at once, without waiting for the turn to end: a long synchronous run of
 * submits, or of task completions, is then written on the store's thread while it goes on.
 * @remarks An update can never overtake its task's insert: the dispatcher only runs a task after
 * the commit holding its insert has resolved.
 */
export class TaskJournal<E extends JournalEntry> {
  /** Inserts waiting for a commit, in segments of at most maxBatch; each commits in one transaction. */
  readonly #segments: Segment[] = [];
  #dirty = new Set<E>();
  #deadLetters: DeadLetterRecord[] = [];
  readonly #running = new Set<Promise<void>>();
  #scheduled = false;
  #closed = false;
  /** Commits formed at the end of a turn that may be in flight at once (full batches need no room). */
  readonly #maxInFlight: number;
  /**
   * What a failed commit held of changed tasks and dead letters, set aside until it is tried again
   * {@link RETRY_AFTER_FAILURE_MS} later; other work goes on meanwhile. Set aside, they neither
   * make the next batch fail the same way at once nor fill a batch that would go out at once.
   */
  readonly #retrying = new Set<E>();
  #retryLetters: DeadLetterRecord[] = [];
  #retryArmed = false;

  constructor(
    private readonly tasks: TaskRepository,
    private readonly options: TaskJournalOptions<E>,
  ) {
    this.#maxInFlight = options.inOrder === true ? 2 : 1;
  }

  /** Queues an insert; resolves once the transaction holding it has committed. */
  insert(record: TaskRecord): Promise<void> {
    if (this.#closed) return closedError();
    let segment = this.#segments.at(-1);
    if (segment === undefined || segment.inserts.length >= this.options.maxBatch) {
      this.#segments.push((segment = { inserts: [], done: new Deferred() }));
    }
    segment.inserts.push(record);
    if (segment.inserts.length >= this.options.maxBatch) this.#commitFull();
    else this.#schedule();
    return segment.done.promise;
  }

  /** Queues inserts that must commit together (one transaction, whatever their number). */
  insertMany(records: readonly TaskRecord[]): Promise<void> {
    if (this.#closed) return closedError();
    const segment: Segment = { inserts: [...records], done: new Deferred() };
    this.#segments.push(segment);
    if (segment.inserts.length >= this.options.maxBatch) this.#commitFull();
    else this.#schedule();
    return segment.done.promise;
  }

  /** Marks a task changed: its state as of the next commit gets written. */
  touch(entry: E): void {
    this.#dirty.add(entry);
    if (this.#dirty.size >= this.options.maxBatch) this.#commitFull();
    else this.#schedule();
  }

  /** Marks a task changed and adds its dead letter, in the same transaction as its final state. */
  deadLetter(entry: E, letter: DeadLetterRecord): void {
    this.#deadLetters.push(letter);
    this.touch(entry);
  }

  /** Resolves when everything written so far is committed (or has failed). */
  async flush(): Promise<void> {
    while (this.#running.size > 0 || this.#pending()) {
      if (this.#running.size > 0) await Promise.allSettled([...this.#running]);
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Flushes, then refuses further inserts. */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
  }

  #hasWork(): boolean {
    return this.#segments.length > 0 || this.#dirty.size > 0 || this.#deadLetters.length > 0;
  }

  /** Work that waits for something: a commit, or the retry of a failed one. */
  #pending(): boolean {
    return this.#hasWork() || this.#retrying.size > 0 || this.#retryLetters.length > 0;
  }

  /** Puts a failed commit's changed tasks and dead letters back after the retry delay. */
  #retryLater(changed: readonly E[], deadLetters: readonly DeadLetterRecord[]): void {
    for (const e of changed) this.#retrying.add(e);
    this.#retryLetters.push(...deadLetters);
    if (this.#retryArmed) return;
    this.#retryArmed = true;
    setTimeout(() => {
      this.#retryArmed = false;
      for (const e of this.#retrying) this.#dirty.add(e);
      this.#retrying.clear();
      this.#deadLetters.unshift(...this.#retryLetters);
      this.#retryLetters = [];
      this.#schedule();
    }, RETRY_AFTER_FAILURE_MS).unref();
  }

  #schedule(): void {
    if (!this.#scheduled && this.#running.size < this.#maxInFlight) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#commit();
      });
    }
  }

  /**
   * Hands a full batch to an in-order store now, after whatever waits ahead of it (a small
   * `insertMany`, say); otherwise it waits its turn like any other.
   */
  #commitFull(): void {
    if (this.options.inOrder !== true) {
      this.#schedule();
      return;
    }
    while (this.#fullBatchWaiting()) this.#commit(true);
  }

  #fullBatchWaiting(): boolean {
    const last = this.#segments.at(-1);
    return (
      (last !== undefined && last.inserts.length >= this.options.maxBatch) ||
      this.#dirty.size >= this.options.maxBatch
    );
  }

  /** Forms a batch and hands it to the store; `full` ones need no room among the commits in flight. */
  #commit(full = false): void {
    if (!this.#hasWork() || (!full && this.#running.size >= this.#maxInFlight)) return;
    const segment = this.#segments.shift();
    const inserts = segment?.inserts ?? [];
    const changed = this.#takeDirty(this.options.maxBatch);
    const updates = changed.map((e) => e.rec);
    const statuses = updates.map((r) => r.status);
    const deadLetters = this.#deadLetters;
    this.#deadLetters = [];
    const running: Promise<void> = this.tasks.writeBatch({ inserts, updates, deadLetters }).then(
      () => {
        // Hand the store its next batch before waking anyone: the wake-ups run a lot of code.
        this.#running.delete(running);
        this.#commit();
        if (changed.length > 0) this.options.onCommitted?.(changed, statuses);
        segment?.done.resolve();
      },
      (error: unknown) => {
        this.#running.delete(running);
        // Nothing of the batch landed: its inserters hear of it; its changed tasks and dead
        // letters are written again later, with the tasks' state as of then.
        if (changed.length > 0 || deadLetters.length > 0) this.#retryLater(changed, deadLetters);
        this.options.onError?.(error);
        segment?.done.reject(error);
        this.#commit();
      },
    );
    this.#running.add(running);
    // Pipelining: with room for another commit, form it on the next turn from what arrives meanwhile.
    if (this.#hasWork()) this.#schedule();
  }

  #takeDirty(max: number): E[] {
    if (this.#dirty.size <= max) {
      const all = [...this.#dirty];
      this.#dirty.clear();
      return all;
    }
    const out: E[] = [];
    for (const e of this.#dirty) {
      if (out.length >= max) break;
      out.push(e);
      this.#dirty.delete(e);
    }
    return out;
  }
}

interface Segment {
  inserts: TaskRecord[];
  done: Deferred;
}

function closedError(): Promise<never> {
  return Promise.reject(new ConclaveError('SHUTTING_DOWN', 'the task journal is closed'));
}

/** A promise with its resolvers. */
class Deferred {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A failure also reaches onError; an inserter that stopped listening must not crash the process.
    this.promise.catch(() => undefined);
  }
}
