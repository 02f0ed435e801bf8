import type { Kysely } from 'kysely';
import { ConclaveError } from '../core/errors.ts';
import { foldBatch } from './batch-writer.ts';
import type { BatchWriter } from './batch-writer.ts';
import type { Database } from './schema.ts';
import type { TaskBatch } from './store.ts';
import {
  DEAD_LETTER_COLUMNS,
  deadLetterValues,
  insertColumns,
  insertShape,
  insertValueCount,
  pushTaskValues,
  pushUpdateValues,
  updateColumns,
  updateShape,
  updateValueCount,
} from './task-rows.ts';
import { SqliteOps } from './sqlite-ops.ts';

/**
 * Runs a batch of statement runs in one transaction, all or nothing. `catalog` holds every
 * statement's SQL by index; it only grows, so an executor may prepare each index once.
 */
/** See {@link SqliteExecutor.warm}. */
export type ExecutorState = 'ready' | 'starting' | 'failed';

export interface SqliteExecutor {
  /** Runs a batch; batches commit in the order `run` was called, however many are in flight. */
  run(catalog: readonly string[], ops: SqliteOps): Promise<void>;
  close(): Promise<void>;
  /**
   * For an executor that must start before it can run batches: starts it, and says whether it is
   * `ready`, still `starting`, or `failed` (its batches would be refused).
   */
  warm?(): ExecutorState;
}

/** Binds each column to its own name, so a compiled query's `parameters` say which `?` is which. */
function selfNamed(columns: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(columns.map((c) => [c, c]));
}

/**
 * The SQL of every statement the SQLite writers run, by index, compiled once by kysely. Shared by
 * the task and workflow writers so that one executor (one order of commits) serves both.
 */
export class SqliteStatementCatalog {
  /** SQL by index; only grows, so executors may prepare each index once. */
  readonly sql: string[] = [];
  readonly #index = new Map<string, number>();

  constructor(private readonly db: Kysely<Database>) {}

  /** `INSERT INTO table (columns) VALUES (?, …)`, binding `columns` in order. */
  insert<T extends keyof Database>(table: T, columns: readonly string[]): number {
    return this.#get(`insert ${table} ${columns.join()}`, () =>
      checked(
        this.db
          .insertInto(table as 'tasks')
          .values(selfNamed(columns) as never)
          .compile(),
        columns,
      ),
    );
  }

  /** `UPDATE table SET columns… WHERE key = ?`, binding `columns` then the key. */
  update<T extends keyof Database>(table: T, columns: readonly string[], key = 'id'): number {
    return this.#get(`update ${table} ${columns.join()} ${key}`, () =>
      checked(
        // Typed as one table: the builder's types cannot follow a table chosen at run time, and the
        // columns are bound by name anyway (checked below).
        this.db
          .updateTable(table as 'tasks')
          .set(selfNamed(columns) as never)
          .where(key as never, '=', key as never)
          .compile(),
        [...columns, key],
      ),
    );
  }

  #get(key: string, compile: () => string): number {
    let index = this.#index.get(key);
    if (index === undefined) {
      index = this.sql.push(compile()) - 1;
      this.#index.set(key, index);
    }
    return index;
  }
}

/** The SQL of a compiled statement whose `?` must bind exactly `columns`, in order. */
function checked(
  compiled: { sql: string; parameters: readonly unknown[] },
  columns: readonly string[],
): string {
  if (compiled.parameters.join() !== columns.join()) {
    throw new ConclaveError(
      'INTERNAL',
      `compiled statement binds (${compiled.parameters.join()}), expected (${columns.join()})`,
    );
  }
  return compiled.sql;
}

/**
 * The SQLite hot path. Statements are written and compiled once by kysely; a batch becomes a list
 * of (statement, parameters) runs that an executor performs in one transaction — on kysely's
 * connection, or on a worker thread that owns a connection of its own.
 * @remarks kysely's SQLite driver prepares every statement anew, which costs more than running
 * it; reusing prepared statements is what keeps a row at a few microseconds.
 */
export class SqliteBatchWriter implements BatchWriter {
  /** Every executor runs its batches in the order handed over (see {@link SqliteExecutor}). */
  readonly inOrder = true;
  readonly #catalog: SqliteStatementCatalog;
  readonly #executor: SqliteExecutor;
  readonly #insertDeadLetter: number;
  /** Statement index by insert shape, and by update shape. */
  readonly #inserts = new Map<number, number>();
  readonly #updates = new Map<number, number>();

  constructor(catalog: SqliteStatementCatalog, executor: SqliteExecutor) {
    this.#catalog = catalog;
    this.#executor = executor;
    this.#insertDeadLetter = catalog.insert('dead_letters', DEAD_LETTER_COLUMNS);
  }

  write(batch: TaskBatch): Promise<void> {
    const { inserts, updates } = foldBatch(batch);
    const ops = new SqliteOps();
    for (const task of inserts) {
      const shape = insertShape(task);
      pushTaskValues(ops.begin(this.#insert(shape), insertValueCount(shape)), task, shape);
    }
    for (const u of updates) {
      const shape = updateShape(u);
      pushUpdateValues(ops.begin(this.#update(shape), updateValueCount(shape)), u, shape);
    }
    for (const letter of batch.deadLetters ?? []) ops.add(this.#insertDeadLetter, deadLetterValues(letter));
    if (ops.count === 0) return Promise.resolve();
    return this.#executor.run(this.#catalog.sql, ops);
  }

  close(): Promise<void> {
    return this.#executor.close();
  }

  #insert(shape: number): number {
    return statementFor(this.#inserts, shape, () => this.#catalog.insert('tasks', insertColumns(shape)));
  }

  #update(shape: number): number {
    return statementFor(this.#updates, shape, () => this.#catalog.update('tasks', updateColumns(shape)));
  }
}

/** The statement index cached under `shape`, made by `make` the first time. */
function statementFor(byShape: Map<number, number>, shape: number, make: () => number): number {
  let index = byShape.get(shape);
  if (index === undefined) {
    index = make();
    byShape.set(shape, index);
  }
  return index;
}
