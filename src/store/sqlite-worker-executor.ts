import { Worker } from 'node:worker_threads';
import { ConclaveError } from '../core/errors.ts';
import type { ExecutorState, SqliteExecutor } from './sqlite-batch-writer.ts';
import { SqliteCheckpointer, type CheckpointerOptions } from './sqlite-checkpointer.ts';
import type { SqliteOps } from './sqlite-ops.ts';

/** A driver failure reported by the writer thread, with the driver's `code` kept for classification. */
class SqliteWriterError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'SqliteError';
  }
}

/** A batch's outcome, or (once, first) the writer saying it is ready. */
interface Reply {
  id?: number;
  ready?: true;
  error?: { message: string; code?: string };
}

/**
 * Runs write batches on a worker thread with its own connection to the database file, so the
 * SQLite work of group commits runs on a second core while the event loop keeps dispatching.
 * The writer thread starts with the first batch (an isolate costs ~5 MB of resident memory).
 * A {@link SqliteCheckpointer} checkpoints the WAL from another thread, once the WAL has grown.
 * @remarks WAL lets the main connection keep reading while the writer writes; a batch's promise
 * resolves after its COMMIT, so a read that follows sees it. Batches commit in submission order.
 * Batches cross threads by structured clone of one flat array (see {@link SqliteOps}): cheaper
 * on the sending side than JSON-encoding it (payload columns are JSON already, and would be
 * escaped again); the decoding happens on the writer's core.
 */
export class SqliteWorkerExecutor implements SqliteExecutor {
  readonly #script = new URL('./sqlite-writer-worker.mjs', import.meta.url);
  readonly #writerData: { role: 'writer'; path: string; busyTimeoutMs: number };
  /** Started with the first batch: a store whose batches all run inline never pays for the thread. */
  #worker: Worker | undefined;
  /** The writer has opened its connection: a batch sent now does not wait for a thread to start. */
  #ready = false;
  readonly #checkpointer: SqliteCheckpointer;
  readonly #pending = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>();
  #nextId = 1;
  #sent = 0;
  #failure: ConclaveError | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(path: string, busyTimeoutMs: number, checkpoints?: CheckpointerOptions) {
    this.#writerData = { role: 'writer', path, busyTimeoutMs };
    this.#checkpointer = new SqliteCheckpointer(this.#script, path, busyTimeoutMs, checkpoints);
  }

  #writer(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(this.#script, { workerData: this.#writerData });
    worker.unref();
    worker.on('message', (reply: Reply) => this.#settle(reply));
    worker.on('error', (err) => this.#fail(err));
    this.#exited = new Promise((resolve) =>
      worker.once('exit', () => {
        this.#fail(undefined);
        resolve();
      }),
    );
    return (this.#worker = worker);
  }

  /**
   * Starts the writer thread if it has not started, and says whether it is ready for batches
   * (starting one takes tens of milliseconds, which a caller with somewhere else to run a batch
   * need not wait) or has failed: a thread that could not start, like one that stopped, fails
   * every batch from then on.
   */
  warm(): ExecutorState {
    if (this.#failure !== undefined) return 'failed';
    try {
      this.#writer();
    } catch (err) {
      this.#failure = new ConclaveError('STORE_ERROR', 'the SQLite writer thread did not start', {
        cause: err,
      });
      return 'failed';
    }
    return this.#ready ? 'ready' : 'starting';
  }

  run(catalog: readonly string[], ops: SqliteOps): Promise<void> {
    if (this.warm() === 'failed') return Promise.reject(this.#failure!); // set by warm()
    const worker = this.#worker!; // started by warm()
    const id = this.#nextId++;
    const sql = catalog.slice(this.#sent);
    this.#sent = catalog.length;
    return new Promise<void>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage({ id, sql, ops: ops.values });
    });
  }

  async close(): Promise<void> {
    // Held while closing: an unreferenced worker would let the process exit mid-close.
    this.#worker?.ref();
    if (this.#worker === undefined)
      this.#failure ??= new ConclaveError('SHUTTING_DOWN', 'the SQLite writer is closed');
    else if (this.#failure === undefined) this.#worker.postMessage({ type: 'close' });
    await this.#exited;
    await this.#checkpointer.close();
  }

  #settle(reply: Reply): void {
    if (reply.id === undefined) {
      this.#ready = reply.ready === true;
      return;
    }
    const waiter = this.#pending.get(reply.id);
    if (waiter === undefined) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#worker?.unref();
    if (reply.error === undefined) waiter.resolve();
    else waiter.reject(new SqliteWriterError(reply.error.message, reply.error.code));
  }

  #fail(err: unknown): void {
    this.#failure ??= new ConclaveError('STORE_ERROR', 'the SQLite writer thread stopped', { cause: err });
    for (const w of this.#pending.values()) w.reject(this.#failure);
    this.#pending.clear();
  }
}
