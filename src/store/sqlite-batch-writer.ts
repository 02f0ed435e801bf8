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

/** One statement run: its index in the catalog, then its parameters. */
export type SqliteOp = [statement: number, params: unknown[]];

/**
 * Runs a batch of statement runs in one transaction, all or nothing. `catalog` holds every
 * statement's SQL by index; it only grows, so an executor may prepare each index once.
 */
export interface SqliteExecutor {
  run(catalog: readonly string[], ops: readonly SqliteOp[]): Promise<void>;
  close(): Promise<void>;
}

/** Binds each column to its own name, so a compiled query's `parameters` say which `?` is which. */
function selfNamed(columns: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(columns.map((c) => [c, c]));
}

const INSERT_TASK = 0;
const INSERT_DEAD_LETTER = 1;

/**
 * The SQLite hot path. Statements are written and compiled once by kysely; a batch becomes a list
 * of (statement, parameters) runs that an executor performs in one transaction — on kysely's
 * connection, or on a worker thread that owns a connection of its own.
 * @remarks kysely's SQLite driver prepares every statement anew, which costs more than running
 * it; reusing prepared statements is what keeps a row at a few microseconds.
 */
export class SqliteBatchWriter implements BatchWriter {
  readonly #db: Kysely<Database>;
  readonly #executor: SqliteExecutor;
  readonly #catalog: string[] = [];
  readonly #updates = new Map<number, number>();

  constructor(db: Kysely<Database>, executor: SqliteExecutor) {
    this.#db = db;
    this.#executor = executor;
    this.#catalog[INSERT_TASK] = this.#checked(
      db
        .insertInto('tasks')
        .values(selfNamed(TASK_COLUMNS) as never)
        .compile(),
      TASK_COLUMNS,
    );
    this.#catalog[INSERT_DEAD_LETTER] = this.#checked(
      db
        .insertInto('dead_letters')
        .values(selfNamed(DEAD_LETTER_COLUMNS) as never)
        .compile(),
      DEAD_LETTER_COLUMNS,
    );
  }

  write(batch: TaskBatch): Promise<void> {
    const { inserts, updates } = foldBatch(batch);
    const ops: SqliteOp[] = [];
    for (const task of inserts) ops.push([INSERT_TASK, taskValues(task)]);
    for (const u of updates) {
      const shape = updateShape(u);
      ops.push([this.#update(shape), updateValues(u, shape)]);
    }
    for (const letter of batch.deadLetters ?? []) ops.push([INSERT_DEAD_LETTER, deadLetterValues(letter)]);
    if (ops.length === 0) return Promise.resolve();
    return this.#executor.run(this.#catalog, ops);
  }

  close(): Promise<void> {
    return this.#executor.close();
  }

  /** The SQL of a compiled statement whose `?` must bind exactly `columns`, in the `*Values()` order. */
  #checked(compiled: { sql: string; parameters: readonly unknown[] }, columns: readonly string[]): string {
    if (compiled.parameters.join() !== columns.join()) {
      throw new ConclaveError(
        'INTERNAL',
        `compiled statement binds (${compiled.parameters.join()}), expected (${columns.join()})`,
      );
    }
    return compiled.sql;
  }

  #update(shape: number): number {
    let index = this.#updates.get(shape);
    if (index === undefined) {
      const columns = updateColumns(shape);
      const compiled = this.#db
        .updateTable('tasks')
        .set(selfNamed(columns) as never)
        .where('id', '=', 'id')
        .compile();
      index = this.#catalog.push(this.#checked(compiled, [...columns, 'id'])) - 1;
      this.#updates.set(shape, index);
    }
    return index;
  }
}
