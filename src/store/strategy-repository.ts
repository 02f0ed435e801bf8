import type { Kysely, Selectable } from 'kysely';
import { ValidationError } from '../core/errors.ts';
import { toNumber, type Database, type StrategiesTable } from './schema.ts';
import { guard, insertError } from './store-errors.ts';
import { pageOf } from './paging.ts';
import type { PageQuery, StrategyRecord, StrategyRepository } from './store.ts';

/** The `strategies` table through kysely (created by migration 0005). */
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
  };
}
