import type { Kysely } from 'kysely';

/**
 * The workflow journal: one row per run (its current state, kept for queries) and the run's
 * append-only event log, replayed to resume a run after a restart.
 * @remarks Schema builder only, so the DDL is right on SQLite and PostgreSQL: JSON as TEXT, times
 * as BIGINT epoch ms. `workflow_events` has no foreign key: events are written in the same
 * transaction as their run row, and a pruned run takes its events with it explicitly.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('workflow_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('input', 'text', (c) => c.notNull())
    .addColumn('output', 'text')
    .addColumn('error', 'text')
    .addColumn('requester', 'text')
    .addColumn('parent_run_id', 'text')
    .addColumn('definition', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('deadline_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('workflow_runs_status_created_at')
    .on('workflow_runs')
    .columns(['status', 'created_at'])
    .execute();
  await db.schema
    .createTable('workflow_events')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('step_id', 'text')
    .addColumn('item_index', 'integer')
    .addColumn('attempt', 'integer')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('workflow_events_pk', ['run_id', 'seq'])
    .execute();
}

/** Drops the journal tables. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('workflow_events').execute();
  await db.schema.dropTable('workflow_runs').execute();
}
