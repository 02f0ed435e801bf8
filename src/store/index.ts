/** The store layer's public face: durable records over SQLite or PostgreSQL. */
import type { KyselyStore } from './kysely-store.ts';
import { openPostgresStore } from './postgres.ts';
import { openSqliteStore } from './sqlite.ts';

export type {
  Store,
  TaskRepository,
  TaskBatch,
  DeadLetterQuery,
  WorkflowOp,
  WorkflowRepository,
  SettingsRepository,
  AuditRepository,
  StrategyRecord,
  StrategyRepository,
  StrategyRerun,
  BacktestRecord,
  BacktestRepository,
  BacktestStatus,
  BacktestUpdate,
  BacktestQuery,
  CallbackDeliveryRecord,
  CallbackDeliveryStatus,
  CallbackDeliveryUpdate,
  CallbackRepository,
  PendingCallbackQuery,
  PageQuery,
} from './store.ts';
export { BACKTEST_STATUSES } from './store.ts';
export type { Database, TasksTable, DeadLettersTable } from './schema.ts';
export { KyselyStore, MAX_PARAMETERS } from './kysely-store.ts';
export type { KyselyStoreOptions, StoreDialect } from './kysely-store.ts';
export { MIGRATIONS, migrateToLatest } from './migrations.ts';
export type { MigrateOptions } from './migrations.ts';
export { openSqliteStore } from './sqlite.ts';
export type { SqliteStoreOptions } from './sqlite.ts';
export { openPostgresStore } from './postgres.ts';
export type { PostgresStoreOptions } from './postgres.ts';

/** What {@link createStore} needs: the `store` section of the configuration. */
export interface StoreConfig {
  driver: 'sqlite' | 'postgres';
  sqlitePath: string;
  postgresUrl: string;
  postgresPoolMax: number;
}

/**
 * Opens the configured store, migrated and ready.
 * @remarks Only the chosen dialect's driver is loaded: `sqlite.ts` and `postgres.ts` import
 * better-sqlite3 and pg lazily, inside their open functions.
 */
export function createStore(config: StoreConfig): Promise<KyselyStore> {
  return config.driver === 'postgres'
    ? openPostgresStore({ url: config.postgresUrl, poolMax: config.postgresPoolMax })
    : openSqliteStore({ path: config.sqlitePath });
}
