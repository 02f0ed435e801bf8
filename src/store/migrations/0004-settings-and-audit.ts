import type { Kysely } from 'kysely';

/**
 * Settings (key → JSON value, last writer recorded) and the append-only audit log.
 * @remarks Schema builder only, so the DDL is right on SQLite and PostgreSQL: JSON as TEXT, times
 * as BIGINT epoch ms. Audit entries are read by correlation id or by kind, newest first.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .execute();
  await db.schema
    .createTable('audit_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('corr_id', 'text')
    .addColumn('actor', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_entries_corr_id').on('audit_entries').column('corr_id').execute();
  await db.schema.createIndex('audit_entries_kind_at').on('audit_entries').columns(['kind', 'at']).execute();
}

/** Drops the settings and audit tables. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_entries').execute();
  await db.schema.dropTable('settings').execute();
}
