import { sql } from 'kysely';
import type { Kysely, Transaction } from 'kysely';
import { foldBatch, mergeUpdates } from './batch-writer.ts';
import type { BatchWriter } from './batch-writer.ts';
import type { Database } from './schema.ts';
import type { TaskBatch } from './store.ts';
import {
  DEAD_LETTER_COLUMNS,
  TASK_COLUMNS,
  deadLetterToRow,
  taskToRow,
  rowShape,
  updateColumns,
} from './task-rows.ts';
import type { UpdateRow } from './task-rows.ts';

/** `"a", "b", …` for a column list. */
function columnList(columns: readonly string[]) {
  return sql.join(columns.map((c) => sql.id(c)));
}

/**
 * The PostgreSQL batch writer: one statement per table (and per update shape), whatever the batch
 * size, each taking its rows as a single JSON parameter that `json_populate_recordset` turns back
 * into rows of the table's own type.
 * @remarks Measured against a multi-row VALUES list (one bound parameter per cell, compiled by
 * kysely, planned by the server) and against `unnest` of one array per column, on 2000-row
 * batches: JSON is as fast on the server and needs about half the client CPU, as
 * `JSON.stringify` is native. Updates join on id, so an unknown id matches nothing, exactly as a
 * plain UPDATE would.
 */
export class PostgresBatchWriter implements BatchWriter {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async write(batch: TaskBatch): Promise<void> {
    const { inserts, updates } = foldBatch(batch);
    const letters = batch.deadLetters ?? [];
    await this.#db.transaction().execute(async (trx) => {
      if (inserts.length > 0) {
        const rows = JSON.stringify(inserts.map(taskToRow));
        await trx
          .insertInto('tasks')
          .columns([...TASK_COLUMNS])
          .expression(
            sql`select ${columnList(TASK_COLUMNS)} from json_populate_recordset(null::tasks, ${rows}::json)`,
          )
          .execute();
      }
      if (updates.length > 0) await this.#update(trx, mergeUpdates(updates));
      if (letters.length > 0) {
        const rows = JSON.stringify(letters.map(deadLetterToRow));
        await trx
          .insertInto('dead_letters')
          .columns([...DEAD_LETTER_COLUMNS])
          .expression(
            sql`select ${columnList(DEAD_LETTER_COLUMNS)} from json_populate_recordset(null::dead_letters, ${rows}::json)`,
          )
          .execute();
      }
    });
  }

  /** One `UPDATE … FROM json_populate_recordset(…)` per update shape (the set of listed fields). */
  async #update(trx: Transaction<Database>, merged: Map<string, UpdateRow>): Promise<void> {
    const byShape = new Map<number, (UpdateRow & { id: string })[]>();
    for (const [id, row] of merged) {
      const shape = rowShape(row);
      const group = byShape.get(shape) ?? [];
      group.push({ ...row, id });
      byShape.set(shape, group);
    }
    for (const [shape, rows] of byShape) {
      const columns = updateColumns(shape);
      const source = sql<
        UpdateRow & { id: string }
      >`json_populate_recordset(null::tasks, ${JSON.stringify(rows)}::json)`;
      await trx
        .updateTable('tasks')
        .from(source.as('u'))
        .set((eb) => Object.fromEntries(columns.map((c) => [c, eb.ref(`u.${c}`)])))
        .whereRef('tasks.id', '=', 'u.id')
        .execute();
    }
  }
}
