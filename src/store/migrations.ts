import { Migrator } from 'kysely';
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import type { Database } from './schema.ts';
import { ConclaveError } from '../core/errors.ts';
import * as tasksAndDeadLetters from './migrations/0001-tasks-and-dead-letters.ts';
import * as partialTaskIndexes from './migrations/0002-partial-task-indexes.ts';
import * as workflowJournal from './migrations/0003-workflow-journal.ts';
import * as settingsAndAudit from './migrations/0004-settings-and-audit.ts';
import * as strategiesAndBacktests from './migrations/0005-strategies-and-backtests.ts';
import * as callbackDeliveries from './migrations/0006-callback-deliveries.ts';
import * as workOwners from './migrations/0007-work-owners.ts';
import * as strategyRuns from './migrations/0008-strategy-runs.ts';

/**
 * Every schema migration, in order. Kysely applies them sorted by name, so a new migration is one
 * file under `migrations/` and one entry here with the next number.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_tasks_and_dead_letters': tasksAndDeadLetters,
  '0002_partial_task_indexes': partialTaskIndexes,
  '0003_workflow_journal': workflowJournal,
  '0004_settings_and_audit': settingsAndAudit,
  '0005_strategies_and_backtests': strategiesAndBacktests,
  '0006_callback_deliveries': callbackDeliveries,
  '0007_work_owners': workOwners,
  '0008_strategy_runs': strategyRuns,
};

/** Serves {@link MIGRATIONS} to kysely's migrator from memory (no folder scanning at run time). */
export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...MIGRATIONS }),
};

/** Options for {@link migrateToLatest}. */
export interface MigrateOptions {
  /** PostgreSQL schema holding the migration bookkeeping tables (the store's own schema, if any). */
  schema?: string;
}

/**
 * Applies every pending migration; a no-op when the database is current. On PostgreSQL, safe to
 * call from several processes at once: kysely holds a migration lock while it works (on SQLite
 * its lock does nothing, and the writes are serialized by SQLite's own write lock instead).
 * @returns the names of the migrations applied by this call.
 */
export async function migrateToLatest(db: Kysely<Database>, options: MigrateOptions = {}): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: migrationProvider,
    ...(options.schema === undefined ? {} : { migrationTableSchema: options.schema }),
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    throw new ConclaveError(
      'STORE_ERROR',
      `migration ${failed ?? '(setup)'} failed: ${error instanceof Error ? error.message : 'unknown error'}`,
      { cause: error, details: { migration: failed ?? null } },
    );
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
