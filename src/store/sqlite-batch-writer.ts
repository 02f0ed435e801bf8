import type { Kysely } from 'kysely';
import { ConclaveError } from '../core/errors.ts';
import { foldBatch } from './batch-writer.ts';
import type { BatchWriter } from './batch-writer.ts';
import type { Database } from './schema.ts';
import type { TaskBatch } from './store.ts';
import {
  DEAD_LETTER_COLUMNS,
  TASK_COLUMNS,
  deadLetterValues,
  taskValues,
  updateColumns,
  updateShape,
  updateValues,
} from './task-rows.ts';

/** The slice of a better-sqlite3 statement this writer uses (typed here so it never imports the driver). */
export interface SqliteStatementLike {
  run(...params: unknown[]): unknown;
}

/** The slice of a better-sqlite3 database this writer uses. */
export interface SqliteDatabaseLike {
  prepare(sql: string): SqliteStatementLike;
  readonly inTransaction: boolean;
}

interface Statements {
  begin: SqliteStatementLike;
  commit: SqliteStatementLike;
  rollback: SqliteStatementLike;
  insertTask: SqliteStatementLike;
  insertDeadLetter: SqliteStatementLike;
}

/** Binds each column to its own name, so a compiled query's `parameters` say which `?` is which. */
function selfNamed(columns: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(columns.map((c) => [c, c]));
}

/**
 * The SQLite hot path. Statements are written and compiled once by kysely, prepared once by
 * better-sqlite3, then run row by row inside one synchronous transaction.
 * @remarks kysely's SQLite driver prepares every statement anew, which costs more than running
 * it; reusing prepared statements is what keeps a row at a few microseconds. The batch runs while
 * holding kysely's single connection, so it never interleaves with a kysely transaction.
 */
export class SqliteBatchWriter implements BatchWriter {
  readonly #db: Kysely<Database>;
  readonly #raw: SqliteDatabaseLike;
  #statements: Statements | undefined;
  readonly #updates = new Map<number, SqliteStatementLike>();

  constructor(db: Kysely<Database>, raw: SqliteDatabaseLike) {
    this.#db = db;
    this.#raw = raw;
  }

  write(batch: TaskBatch): Promise<void> {
    return this.#db.connection().execute(() => {
      this.#writeSync(batch);
      return Promise.resolve();
    });
  }

  /** Prepared on first use: the tables exist only once migrations have run. */
  #prepared(): Statements {
    this.#statements ??= {
      // IMMEDIATE takes the write lock up front, so a busy database waits (busy_timeout) instead of failing mid-batch.
      begin: this.#raw.prepare('BEGIN IMMEDIATE'),
      commit: this.#raw.prepare('COMMIT'),
      rollback: this.#raw.prepare('ROLLBACK'),
      insertTask: this.#prepareChecked(
        this.#db
          .insertInto('tasks')
          .values(selfNamed(TASK_COLUMNS) as never)
          .compile(),
        TASK_COLUMNS,
      ),
      insertDeadLetter: this.#prepareChecked(
        this.#db
          .insertInto('dead_letters')
          .values(selfNamed(DEAD_LETTER_COLUMNS) as never)
          .compile(),
        DEAD_LETTER_COLUMNS,
      ),
    };
    return this.#statements;
  }

  /** Prepares a compiled statement whose `?` must bind exactly `columns`, the order `*Values()` produce. */
  #prepareChecked(compiled: { sql: string; parameters: readonly unknown[] }, columns: readonly string[]) {
    if (compiled.parameters.join() !== columns.join()) {
      throw new ConclaveError(
        'INTERNAL',
        `compiled statement binds (${compiled.parameters.join()}), expected (${columns.join()})`,
      );
    }
    return this.#raw.prepare(compiled.sql);
  }

  #update(shape: number): SqliteStatementLike {
    let statement = this.#updates.get(shape);
    if (statement === undefined) {
      const columns = updateColumns(shape);
      const compiled = this.#db
        .updateTable('tasks')
        .set(selfNamed(columns) as never)
        .where('id', '=', 'id')
        .compile();
      statement = this.#prepareChecked(compiled, [...columns, 'id']);
      this.#updates.set(shape, statement);
    }
    return statement;
  }

  #writeSync(batch: TaskBatch): void {
    const { begin, commit, rollback, insertTask, insertDeadLetter } = this.#prepared();
    const { inserts, updates } = foldBatch(batch);
    begin.run();
    try {
      for (const task of inserts) insertTask.run(...taskValues(task));
      for (const u of updates) {
        const shape = updateShape(u);
        this.#update(shape).run(...updateValues(u, shape));
      }
      for (const letter of batch.deadLetters ?? []) insertDeadLetter.run(...deadLetterValues(letter));
      commit.run();
    } catch (err) {
      if (this.#raw.inTransaction) rollback.run();
      throw err;
    }
  }
}
