import type { SqliteExecutor } from './sqlite-batch-writer.ts';
import type { SqliteOps } from './sqlite-ops.ts';

/**
 * Small batches inline, large ones on the writer thread. Inline costs the event loop the SQLite
 * work but no thread hop (at a steady 10k tasks/s: p99 intake-to-final 0.95 ms inline against
 * 4.5 ms through the thread); the thread keeps a burst's SQLite work off the event loop.
 * @remarks Order is kept by never having both busy: while one executor has a batch in flight,
 * every batch goes to that one, and each runs its batches in order.
 */
export class SqliteAdaptiveExecutor implements SqliteExecutor {
  #inlineInFlight = 0;
  #threadInFlight = 0;

  constructor(
    private readonly inline: SqliteExecutor,
    private readonly thread: SqliteExecutor,
    private readonly inlineMaxOps: number,
  ) {}

  run(catalog: readonly string[], ops: SqliteOps): Promise<void> {
    const useThread =
      this.#threadInFlight > 0 || (this.#inlineInFlight === 0 && ops.count > this.inlineMaxOps);
    if (useThread) {
      this.#threadInFlight++;
      return this.thread.run(catalog, ops).finally(() => this.#threadInFlight--);
    }
    this.#inlineInFlight++;
    return this.inline.run(catalog, ops).finally(() => this.#inlineInFlight--);
  }

  async close(): Promise<void> {
    await this.inline.close();
    await this.thread.close();
  }
}
