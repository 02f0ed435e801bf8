import { sql } from 'kysely';
import type { Kysely, Transaction } from 'kysely';
import type { TaskUpdate } from '../core/task.ts';
import { chunk, foldBatch, mergeUpdates } from './batch-writer.ts';
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
  updateToRow,
} from './task-rows.ts';
import type { UpdateRow } from './task-rows.ts';

/** How the portable writer applies updates. */
export type UpdateMode = 'upsert' | 'statement';

/** Options for {@link KyselyBatchWriter}. */
export interface KyselyBatchWriterOptions {
  /** The dialect's bound-parameter limit per statement; inserts are chunked to stay under it. */
  maxParameters: number;
  /**
   * `upsert` (default): one multi-row `INSERT … ON CONFLICT (id) DO UPDATE` per update shape,
   * one round trip per chunk. `statement`: one `UPDATE` per update.
   */
  updates?: UpdateMode;
}

/**
 * Filler for the NOT NULL columns of an upsert row. Never stored: upserted ids are checked to
 * exist first, so the insert arm never fires and only the `DO UPDATE SET` columns change.
 */
const UPSERT_FILLER = {
  pattern: sql.lit(''),
  target: sql.lit(''),
  payload: sql.lit('{}'),
  metadata: sql.lit('{}'),
  priority: sql.lit(0),
  max_retries: sql.lit(0),
  timeout_ms: sql.lit(0),
  created_at: sql.lit(0),
} as const;

/**
 * The portable writer: plain kysely statements for any dialect, one transaction per batch,
 * multi-row inserts chunked under the dialect's parameter limit, updates as multi-row upserts.
 * @remarks The reference the dialect-tuned writers are measured (and contract-tested) against:
 * SQLite uses cached prepared statements, PostgreSQL JSON recordsets.
 */
export class KyselyBatchWriter implements BatchWriter {
  readonly #db: Kysely<Database>;
  readonly #maxParameters: number;
  readonly #updates: UpdateMode;

  constructor(db: Kysely<Database>, options: KyselyBatchWriterOptions) {
    this.#db = db;
    this.#maxParameters = options.maxParameters;
    this.#updates = options.updates ?? 'upsert';
  }

  async write(batch: TaskBatch): Promise<void> {
    const { inserts, updates } = foldBatch(batch);
    await this.#db.transaction().execute(async (trx) => {
      for (const rows of chunk(inserts.map(taskToRow), this.#rowsPerStatement(TASK_COLUMNS.length))) {
        await trx.insertInto('tasks').values(rows).execute();
      }
      if (this.#updates === 'upsert') await this.#upsertUpdates(trx, updates);
      else await this.#statementUpdates(trx, updates);
      const letters = (batch.deadLetters ?? []).map(deadLetterToRow);
      for (const rows of chunk(letters, this.#rowsPerStatement(DEAD_LETTER_COLUMNS.length))) {
        await trx.insertInto('dead_letters').values(rows).execute();
      }
    });
  }

  #rowsPerStatement(columns: number): number {
    return Math.max(1, Math.floor(this.#maxParameters / columns));
  }

  async #statementUpdates(trx: Transaction<Database>, updates: readonly TaskUpdate[]): Promise<void> {
    for (const u of updates) {
      await trx.updateTable('tasks').set(updateToRow(u)).where('id', '=', u.id).execute();
    }
  }

  async #upsertUpdates(trx: Transaction<Database>, updates: readonly TaskUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    const merged = mergeUpdates(updates);
    // Updates of unknown ids are no-ops, as with UPDATE: drop them so the insert arm never fires.
    const existing = new Set<string>();
    for (const ids of chunk([...merged.keys()], this.#maxParameters)) {
      const found = await trx.selectFrom('tasks').select('id').where('id', 'in', ids).execute();
      for (const { id } of found) existing.add(id);
    }
    const byShape = new Map<number, { id: string; row: UpdateRow }[]>();
    for (const [id, row] of merged) {
      if (!existing.has(id)) continue;
      const shape = rowShape(row);
      const group = byShape.get(shape) ?? [];
      group.push({ id, row });
      byShape.set(shape, group);
    }
    for (const [shape, group] of byShape) {
      const columns = updateColumns(shape);
      for (const part of chunk(group, this.#rowsPerStatement(columns.length + 1))) {
        await trx
          .insertInto('tasks')
          .values(part.map(({ id, row }) => ({ ...UPSERT_FILLER, ...row, id })))
          .onConflict((oc) =>
            oc
              .column('id')
              .doUpdateSet((eb) => Object.fromEntries(columns.map((c) => [c, eb.ref(`excluded.${c}`)]))),
          )
          .execute();
      }
    }
  }
}
