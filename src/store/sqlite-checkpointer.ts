import { realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';

/** When the checkpointer starts and how often it checkpoints; see {@link SqliteCheckpointer}. */
export interface CheckpointerOptions {
  /** Milliseconds between the running checkpointer's PASSIVE checkpoints. Default 50. */
  readonly intervalMs?: number;
  /** The WAL size, in bytes, that starts the thread. Default 4 MiB. */
  readonly startAtWalBytes?: number;
  /** Milliseconds between looks at the WAL's size until then. Default 250. */
  readonly pollMs?: number;
}

/** `path` absolute, with symbolic links resolved when the file exists (as SQLite resolves them). */
function resolvedPath(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    return absolute;
  }
}

/** Longest wait between looks after the thread failed to start or stopped on its own. */
const MAX_BACKOFF_MS = 30_000;

/**
 * Copies the WAL back into the database file from a thread of its own (PASSIVE checkpoints, which
 * never block a writer), so no commit runs a checkpoint (measured: p99 intake-to-final 41 ms with
 * the writer checkpointing itself, ~3 ms without). A checkpoint's fsync still slows the WAL appends
 * made while it runs (seen: a 24-byte frame header written in 4 ms), so checkpoints are frequent
 * and small: at a steady 10k tasks/s, 84–252 of 36,000 tasks took over 1 ms checkpointing every
 * 50 ms, 120–511 every 250 ms; every 1,000 ms, each checkpoint held ~100 tasks for up to 11 ms.
 * The thread starts once the WAL has grown past `startAtWalBytes`: a thread costs ~5 MB of
 * resident memory, which a store that writes little (the main job at rest) need not pay; until
 * then the WAL simply grows.
 * @remarks The database's path is resolved (symbolic links too) when constructed, as SQLite
 * names its WAL after the resolved path. A thread that fails to start, or stops on its own, is
 * started again at the next look that finds the WAL large, looks backing off to 30 s.
 */
export class SqliteCheckpointer {
  readonly #path: string;
  readonly #busyTimeoutMs: number;
  readonly #intervalMs: number;
  readonly #startAt: number;
  readonly #pollMs: number;
  #backoffMs: number;
  #poll: NodeJS.Timeout | undefined;
  #worker: Worker | undefined;
  #exited: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(
    private readonly script: URL,
    path: string,
    busyTimeoutMs: number,
    options: CheckpointerOptions = {},
  ) {
    this.#path = resolvedPath(path);
    this.#busyTimeoutMs = busyTimeoutMs;
    this.#intervalMs = options.intervalMs ?? 50;
    this.#startAt = options.startAtWalBytes ?? 4 * 1024 * 1024;
    this.#pollMs = options.pollMs ?? 250;
    this.#backoffMs = this.#pollMs;
    if (this.#startAt <= 0) this.#start();
    else this.#watch(this.#pollMs);
  }

  /** True while the checkpointing thread runs. */
  get started(): boolean {
    return this.#worker !== undefined;
  }

  /** Stops the thread (after a last checkpoint) and the polling. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#poll);
    const worker = this.#worker;
    if (worker === undefined) return;
    worker.ref(); // an unreferenced worker would let the process exit mid-close
    worker.postMessage({ type: 'close' });
    await this.#exited;
  }

  #watch(everyMs: number): void {
    clearInterval(this.#poll);
    this.#poll = setInterval(() => void this.#look(), everyMs);
    this.#poll.unref();
  }

  async #look(): Promise<void> {
    let size: number;
    try {
      size = (await stat(`${this.#path}-wal`)).size;
    } catch {
      return; // no WAL yet
    }
    if (size >= this.#startAt && !this.#closed && this.#worker === undefined) this.#start();
  }

  #start(): void {
    let worker: Worker;
    try {
      worker = new Worker(this.script, {
        workerData: {
          role: 'checkpointer',
          path: this.#path,
          busyTimeoutMs: this.#busyTimeoutMs,
          checkpointIntervalMs: this.#intervalMs,
        },
      });
    } catch {
      this.#retryLater();
      return;
    }
    clearInterval(this.#poll);
    worker.unref();
    worker.on('error', () => undefined); // its exit follows
    this.#exited = new Promise((done) =>
      worker.once('exit', () => {
        this.#worker = undefined;
        if (!this.#closed) this.#retryLater();
        done();
      }),
    );
    this.#worker = worker;
  }

  /** Looks again, less and less often, after a failed or stopped thread. */
  #retryLater(): void {
    this.#backoffMs = Math.min(MAX_BACKOFF_MS, this.#backoffMs * 2);
    this.#watch(this.#backoffMs);
  }
}
