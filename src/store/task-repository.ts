import { sql, type Kysely } from 'kysely';
import { ConclaveError, ValidationError } from '../core/errors.ts';
import { TASK_STATUSES } from '../core/task.ts';
import type { DeadLetterRecord, TaskRecord, TaskStatus } from '../core/task.ts';
import { chunk } from './batch-writer.ts';
import type { BatchWriter } from './batch-writer.ts';
import { toNumber } from './schema.ts';
import type { Database } from './schema.ts';
import { guard, isUniqueViolation, storeError } from './store-errors.ts';
import type { DeadLetterQuery, TaskBatch, TaskRepository } from './store.ts';
import { deadLetterFromRow, taskFromRow } from './task-rows.ts';

/** Default page size of {@link TaskRepository.listDeadLetters}. */
export const DEFAULT_DEAD_LETTER_LIMIT = 100;

/** Options for {@link KyselyTaskRepository}. */
export interface KyselyTaskRepositoryOptions {
  /** Applies write batches (dialect-tuned). */
  writer: BatchWriter;
  /** The dialect's bound-parameter limit per statement; `IN` lists are chunked under it. */
  maxParameters: number;
}

/** Ids that appear more than once in `ids`. */
function repeated(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const id of ids) (seen.has(id) ? twice : seen).add(id);
  return [...twice];
}

function checkCount(field: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
    throw new ValidationError(field, `must be a non-negative integer, got ${value}`, { value });
  }
}

/**
 * Tasks and dead letters over kysely. Reads are written here; write batches go through the
 * injected {@link BatchWriter}. Rows become records only in `task-rows.ts`.
 */
export class KyselyTaskRepository implements TaskRepository {
  readonly #db: Kysely<Database>;
  readonly #writer: BatchWriter;
  readonly #maxParameters: number;
  readonly writesInOrder: boolean;

  constructor(db: Kysely<Database>, options: KyselyTaskRepositoryOptions) {
    this.#db = db;
    this.#writer = options.writer;
    this.#maxParameters = options.maxParameters;
    this.writesInOrder = options.writer.inOrder === true;
  }

  /**
   * Writes inserts, then updates, then dead letters, in one transaction. Updates of unknown ids
   * are no-ops. A duplicate task or dead-letter id fails the whole batch with `CONFLICT`.
   */
  async writeBatch(batch: TaskBatch): Promise<void> {
    const size =
      (batch.inserts?.length ?? 0) + (batch.updates?.length ?? 0) + (batch.deadLetters?.length ?? 0);
    if (size === 0) return;
    try {
      await this.#writer.write(batch);
    } catch (err) {
      if (isUniqueViolation(err)) throw await this.#conflict(batch, err);
      throw storeError('writeBatch', err);
    }
  }

  /** Names the ids that made a batch fail: repeated within it, or already stored. */
  async #conflict(batch: TaskBatch, cause: unknown): Promise<ConclaveError> {
    const taskIds = (batch.inserts ?? []).map((t) => t.id);
    const letterIds = (batch.deadLetters ?? []).map((d) => d.id);
    const tasks = new Set(repeated(taskIds));
    const letters = new Set(repeated(letterIds));
    try {
      for (const ids of chunk([...new Set(taskIds)], this.#maxParameters)) {
        const rows = await this.#db.selectFrom('tasks').select('id').where('id', 'in', ids).execute();
        for (const { id } of rows) tasks.add(id);
      }
      for (const ids of chunk([...new Set(letterIds)], this.#maxParameters)) {
        const rows = await this.#db.selectFrom('dead_letters').select('id').where('id', 'in', ids).execute();
        for (const { id } of rows) letters.add(id);
      }
    } catch {
      // Naming the ids is best effort; the conflict itself is certain.
    }
    const named = [...[...tasks].map((id) => `task ${id}`), ...[...letters].map((id) => `dead letter ${id}`)];
    const shown = named.slice(0, 10).join(', ') + (named.length > 10 ? `, … (${named.length} in all)` : '');
    return new ConclaveError(
      'CONFLICT',
      `write batch rejected, id already exists: ${shown || 'unknown id'}`,
      {
        cause,
        details: { taskIds: [...tasks], deadLetterIds: [...letters] },
      },
    );
  }

  get(id: string): Promise<TaskRecord | undefined> {
    return guard('get', async () => {
      const row = await this.#db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : taskFromRow(row);
    });
  }

  /** The known tasks among `ids`, in the order asked, each once; unknown ids are left out. */
  getMany(ids: readonly string[]): Promise<TaskRecord[]> {
    return guard('getMany', async () => {
      const unique = [...new Set(ids)];
      const found = new Map<string, TaskRecord>();
      for (const part of chunk(unique, this.#maxParameters)) {
        const rows = await this.#db.selectFrom('tasks').selectAll().where('id', 'in', part).execute();
        for (const row of rows) found.set(row.id, taskFromRow(row));
      }
      return unique.flatMap((id) => found.get(id) ?? []);
    });
  }

  listByStatus(statuses: readonly TaskStatus[], limit?: number): Promise<TaskRecord[]> {
    return guard('listByStatus', async () => {
      checkCount('limit', limit);
      if (statuses.length === 0) return [];
      // Statuses are a closed set of literals; inlining them (instead of binding) lets the planner
      // see that a query for live tasks is covered by the partial index on live tasks.
      const known = statuses.filter((s) => (TASK_STATUSES as readonly string[]).includes(s));
      if (known.length === 0) return [];
      let query = this.#db
        .selectFrom('tasks')
        .selectAll()
        .where(
          'status',
          'in',
          known.map((s) => sql.lit(s)),
        )
        .orderBy('created_at', 'asc')
        .orderBy('id', 'asc');
      if (limit !== undefined) query = query.limit(limit);
      return (await query.execute()).map(taskFromRow);
    });
  }

  countByStatus(): Promise<Record<TaskStatus, number>> {
    return guard('countByStatus', async () => {
      const rows = await this.#db
        .selectFrom('tasks')
        .select((eb) => ['status', eb.fn.countAll().as('n')])
        .groupBy('status')
        .execute();
      const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
      for (const { status, n } of rows) counts[status] = toNumber(n);
      return counts;
    });
  }

  /** Newest first; by default only letters not yet replayed, 100 at a time. */
  listDeadLetters(query: DeadLetterQuery = {}): Promise<DeadLetterRecord[]> {
    return guard('listDeadLetters', async () => {
      checkCount('limit', query.limit);
      checkCount('offset', query.offset);
      let q = this.#db.selectFrom('dead_letters').selectAll();
      if (query.includeReplayed !== true) q = q.where('replayed_at', 'is', null);
      if (query.pattern !== undefined) q = q.where('pattern', '=', query.pattern);
      const rows = await q
        .orderBy('dead_at', 'desc')
        .orderBy('id', 'desc')
        .limit(query.limit ?? DEFAULT_DEAD_LETTER_LIMIT)
        .offset(query.offset ?? 0)
        .execute();
      return rows.map(deadLetterFromRow);
    });
  }

  getDeadLetter(id: string): Promise<DeadLetterRecord | undefined> {
    return guard('getDeadLetter', async () => {
      const row = await this.#db
        .selectFrom('dead_letters')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : deadLetterFromRow(row);
    });
  }

  /** One conditional UPDATE decides the race: exactly one caller replays a letter. */
  markDeadLetterReplayed(id: string, newTaskId: string, at: number): Promise<void> {
    return guard('markDeadLetterReplayed', async () => {
      const result = await this.#db
        .updateTable('dead_letters')
        .set({ replayed_task_id: newTaskId, replayed_at: at })
        .where('id', '=', id)
        .where('replayed_at', 'is', null)
        .executeTakeFirst();
      if (result.numUpdatedRows > 0n) return;
      const letter = await this.getDeadLetter(id);
      if (letter === undefined) {
        throw new ConclaveError('NOT_FOUND', `dead letter ${id} not found`, { details: { id } });
      }
      throw new ConclaveError(
        'CONFLICT',
        `dead letter ${id} was already replayed as task ${letter.replayedTaskId ?? '?'}`,
        { details: { id, replayedTaskId: letter.replayedTaskId, replayedAt: letter.replayedAt } },
      );
    });
  }

  /** Deletes the given dead letters (none for an empty list), or all of them when `ids` is omitted. */
  purgeDeadLetters(ids?: readonly string[]): Promise<number> {
    return guard('purgeDeadLetters', async () => {
      if (ids === undefined) {
        const result = await this.#db.deleteFrom('dead_letters').executeTakeFirst();
        return Number(result.numDeletedRows);
      }
      if (ids.length === 0) return 0;
      return this.#db.transaction().execute(async (trx) => {
        let deleted = 0;
        for (const part of chunk([...new Set(ids)], this.#maxParameters)) {
          const result = await trx.deleteFrom('dead_letters').where('id', 'in', part).executeTakeFirst();
          deleted += Number(result.numDeletedRows);
        }
        return deleted;
      });
    });
  }
}
