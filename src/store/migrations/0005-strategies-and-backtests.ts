import type { Kysely } from 'kysely';

/**
 * Stored trading strategies and the backtests run on them.
 * @remarks Schema builder only, so the DDL is right on SQLite and PostgreSQL: JSON as TEXT, times
 * as BIGINT epoch ms. `backtests.strategy_id` is not a foreign key: a backtest's record (and its
 * inline strategy, kept in `options`) outlives the stored strategy it ran. The equity curve and
 * trades sit in `artifacts`, apart from the small `summary`, so status reads stay cheap.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('strategies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('template', 'text')
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('strategies_created_at')
    .on('strategies')
    .columns(['created_at', 'id'])
    .execute();
  await db.schema
    .createTable('backtests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('strategy_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('summary', 'text')
    .addColumn('artifacts', 'text')
    .addColumn('manifest', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema.createIndex('backtests_strategy_id').on('backtests').column('strategy_id').execute();
  await db.schema.createIndex('backtests_status').on('backtests').column('status').execute();
}

/** Drops the strategies and backtests tables. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('backtests').execute();
  await db.schema.dropTable('strategies').execute();
}
