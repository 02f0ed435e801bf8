import type { Kysely } from 'kysely';

/**
 * Records which process owns each backtest and callback delivery, so that on start a process
 * recovers only its own unfinished work, not what a live peer sharing the database is running.
 * @remarks Schema builder only, so the DDL is right on SQLite and PostgreSQL. `owner` is the
 * creating process's `server.instance_id`; it is nullable, and NULL on rows written before this
 * migration (any process may recover those). No index: recovery reads only unfinished rows,
 * already narrowed by `backtests_status` and the partial `callback_deliveries_pending_created_at`,
 * and those are as few as the work under way; the owner test runs on them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('backtests').addColumn('owner', 'text').execute();
  await db.schema.alterTable('callback_deliveries').addColumn('owner', 'text').execute();
}

/** Drops the owner columns. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('callback_deliveries').dropColumn('owner').execute();
  await db.schema.alterTable('backtests').dropColumn('owner').execute();
}
