import { sql, type Kysely } from 'kysely';

/**
 * Callback deliveries, recorded before the first attempt so one still retrying when the process
 * stops is resumed on the next start.
 * @remarks Schema builder only, so the DDL is right on SQLite and PostgreSQL: times as BIGINT epoch
 * ms. The body is kept as the exact text sent, since the signature covers its bytes. Only pending
 * deliveries are looked up (on start), so the index holds only them and stays as small as the
 * deliveries under way, however long the table grows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('callback_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('corr_id', 'text')
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('last_status', 'integer')
    .addColumn('error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('callback_deliveries_pending_created_at')
    .on('callback_deliveries')
    .columns(['created_at', 'id'])
    .where(sql.ref('status'), '=', 'pending')
    .execute();
}

/** Drops the callback deliveries table. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('callback_deliveries').execute();
}
