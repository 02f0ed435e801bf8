import type { Kysely, Selectable } from 'kysely';
import { ValidationError } from '../core/errors.ts';
import { toNumber, type Database, type StrategiesTable } from './schema.ts';
import { guard, insertError } from './store-errors.ts';
import { pageOf } from './paging.ts';
import type { PageQuery, StrategyRecord, StrategyRepository, StrategyRerun } from './store.ts';

/** The `strategies` table through kysely (created by migration 0005, `run_id` added by 0008). */
export class KyselyStrategyRepository implements StrategyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(record: StrategyRecord): Promise<void> {
    if (record.id === '') throw new ValidationError('id', 'must be a non-empty string');
    try {
      await this.db
        .insertInto('strategies')
        .values({
          id: record.id,
          name: record.name,
          template: record.template,
          definition: JSON.stringify(record.definition),
          created_at: record.createdAt,
          updated_at: record.updatedAt,
          run_id: record.runId,
        })
        .execute();
    } catch (err) {
      throw insertError('strategies.insert', `strategy '${record.id}'`, err, { strategy_id: record.id });
    }
  }

  get(id: string): Promise<StrategyRecord | undefined> {
    return guard('strategies.get', async () => {
      const row = await this.db.selectFrom('strategies').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : fromRow(row);
    });
  }

  async list(query: PageQuery = {}): Promise<StrategyRecord[]> {
    const { limit, offset } = pageOf(query);
    return await guard('strategies.list', async () => {
      const rows = await this.db
        .selectFrom('strategies')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .offset(offset)
        .execute();
      return rows.map(fromRow);
    });
  }

  replaceRun(id: string, rerun: StrategyRerun): Promise<boolean> {
    return guard('strategies.replaceRun', async () => {
      const expected = rerun.expectedRunId;
      const result = await this.db
        .updateTable('strategies')
        .set({
          run_id: rerun.runId,
          name: rerun.name,
          template: rerun.template,
          definition: JSON.stringify(rerun.definition),
          updated_at: rerun.updatedAt,
        })
        .where('id', '=', id)
        .where((eb) => (expected === null ? eb('run_id', 'is', null) : eb('run_id', '=', expected)))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    });
  }

  delete(id: string): Promise<boolean> {
    return guard('strategies.delete', async () => {
      const result = await this.db.deleteFrom('strategies').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }
}

function fromRow(row: Selectable<StrategiesTable>): StrategyRecord {
  return {
    id: row.id,
    name: row.name,
    template: row.template,
    definition: JSON.parse(row.definition) as Record<string, unknown>,
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
    runId: row.run_id,
  };
}
