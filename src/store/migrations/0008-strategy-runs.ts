import type { Kysely } from 'kysely';

/**
 * Links each stored strategy to the workflow run executing it (POST /strategies starts one).
 * @remarks Schema builder only, so the DDL is right on SQLite and PostgreSQL. `run_id` is nullable:
 * rows written before this migration were stored without being run. It names the latest run only;
 * earlier runs of the same strategy stay in the workflow journal under `strategy.<id>`. No index:
 * the link is read by strategy id (the primary key), never searched by run.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('strategies').addColumn('run_id', 'text').execute();
}

/** Drops the run link. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('strategies').dropColumn('run_id').execute();
}
