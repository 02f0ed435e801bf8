import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { SqliteExecutor } from './sqlite-batch-writer.ts';
import { forEachOp, type SqliteOps } from './sqlite-ops.ts';

/** The slice of a better-sqlite3 statement this executor uses (typed here so it never imports the driver). */
export interface SqliteStatementLike {
  run(...params: unknown[]): unknown;
}

/** The slice of a better-sqlite3 database this executor uses. */
export interface SqliteDatabaseLike {
  prepare(sql: string): SqliteStatementLike;
  readonly inTransaction: boolean;
}

/**
 * Runs batches synchronously on the store's own connection, while holding kysely's single
 * connection so a batch never interleaves with a kysely transaction. Used for `:memory:`
 * databases, which other threads cannot open.
 * @remarks Batches queue here, each behind the one before, before they ask kysely for the
 * connection: its mutex does not serve waiters first in, first out (a request made while a
 * release wakes the next waiter gets it first), and batches must commit in the order given.
 */
export class SqliteInlineExecutor implements SqliteExecutor {
  readonly #prepared: SqliteStatementLike[] = [];
  /** Settles when the last batch handed over has run. */
  #tail: Promise<void> = Promise.resolve();
  #control:
    { begin: SqliteStatementLike; commit: SqliteStatementLike; rollback: SqliteStatementLike } | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly raw: SqliteDatabaseLike,
  ) {}

  run(catalog: readonly string[], ops: SqliteOps): Promise<void> {
    const done = this.#tail.then(() =>
      this.db.connection().execute(() => {
        this.#runSync(catalog, ops);
        return Promise.resolve();
      }),
    );
    this.#tail = done.catch(() => undefined); // a failed batch does not hold up the next
    return done;
  }

  /** Resolves once the batches already handed over have run. */
  close(): Promise<void> {
    return this.#tail;
  }

  #runSync(catalog: readonly string[], ops: SqliteOps): void {
    // Prepared on first use: the tables exist only once migrations have run.
    // IMMEDIATE takes the write lock up front, so a busy database waits (busy_timeout) instead of failing mid-batch.
    this.#control ??= {
      begin: this.raw.prepare('BEGIN IMMEDIATE'),
      commit: this.raw.prepare('COMMIT'),
      rollback: this.raw.prepare('ROLLBACK'),
    };
    for (let i = this.#prepared.length; i < catalog.length; i++)
      this.#prepared.push(this.raw.prepare(catalog[i]!));
    const { begin, commit, rollback } = this.#control;
    begin.run();
    try {
      forEachOp(ops.values, (statement, params) => this.#prepared[statement]!.run(...params));
      commit.run();
    } catch (err) {
      if (this.raw.inTransaction) rollback.run();
      throw err;
    }
  }
}
