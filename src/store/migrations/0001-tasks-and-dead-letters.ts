import type { Kysely } from 'kysely';

/**
 * Tasks and their dead letters.
 * @remarks Written only with kysely's schema builder so the same code yields correct DDL in SQLite
 * and PostgreSQL: JSON as TEXT, times as BIGINT epoch ms. `dead_letters.task_id` has no foreign
 * key on purpose: a dead letter outlives any pruning of the task it came from.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pattern', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('max_retries', 'integer', (c) => c.notNull())
    .addColumn('timeout_ms', 'bigint', (c) => c.notNull())
    .addColumn('corr_id', 'text')
    .addColumn('callback_url', 'text')
    .addColumn('agent', 'text')
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('execution_ms', 'double precision')
    .execute();
  await db.schema
    .createIndex('tasks_status_created_at')
    .on('tasks')
    .columns(['status', 'created_at'])
    .execute();
  await db.schema.createIndex('tasks_corr_id').on('tasks').column('corr_id').execute();

  await db.schema
    .createTable('dead_letters')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('pattern', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('corr_id', 'text')
    .addColumn('agent', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('error', 'text', (c) => c.notNull())
    .addColumn('dead_at', 'bigint', (c) => c.notNull())
    .addColumn('replayed_task_id', 'text')
    .addColumn('replayed_at', 'bigint')
    .execute();
  await db.schema.createIndex('dead_letters_dead_at').on('dead_letters').column('dead_at').execute();
  await db.schema.createIndex('dead_letters_task_id').on('dead_letters').column('task_id').execute();
}

/** Drops both tables (indexes go with them). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('dead_letters').execute();
  await db.schema.dropTable('tasks').execute();
}
