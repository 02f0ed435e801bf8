import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { KyselyBatchWriter } from './kysely-batch-writer.ts';
import type { BatchWriter } from './batch-writer.ts';
import { migrateToLatest } from './migrations.ts';
import type { Database } from './schema.ts';
import { guard } from './store-errors.ts';
import type {
  AuditRepository,
  BacktestRepository,
  CallbackRepository,
  SettingsRepository,
  Store,
  StrategyRepository,
  TaskRepository,
  WorkflowRepository,
} from './store.ts';
import { KyselyAuditRepository, type AuditBatchWriter } from './audit-repository.ts';
import { KyselyBacktestRepository } from './backtest-repository.ts';
import { KyselyCallbackRepository } from './callback-repository.ts';
import { KyselySettingsRepository } from './settings-repository.ts';
import { KyselyStrategyRepository } from './strategy-repository.ts';
import { KyselyTaskRepository } from './task-repository.ts';
import { KyselyWorkflowRepository, type WorkflowBatchWriter } from './workflow-repository.ts';

/** The SQL dialects a {@link KyselyStore} speaks. */
export type StoreDialect = Store['dialect'];

/**
 * Bound parameters allowed per statement: SQLite's default `SQLITE_MAX_VARIABLE_NUMBER` (32766
 * since 3.32; better-sqlite3 12 ships 3.5x) and PostgreSQL's wire-protocol limit (65535).
 */
export const MAX_PARAMETERS: Readonly<Record<StoreDialect, number>> = { sqlite: 32_766, postgres: 65_535 };

/** Options for {@link KyselyStore}. */
export interface KyselyStoreOptions {
  /** Applies write batches; defaults to the portable {@link KyselyBatchWriter}. */
  batchWriter?: BatchWriter;
  /** Applies workflow journal batches; defaults to kysely queries in one transaction. */
  workflowWriter?: WorkflowBatchWriter;
  /** Overrides how audit batches are written (SQLite: prepared statements on the shared executor). */
  auditWriter?: AuditBatchWriter;
  /** PostgreSQL schema that holds the store's tables and migration bookkeeping. */
  schema?: string;
  /** Runs after the kysely instance is destroyed (dialect-specific teardown). */
  onClose?: () => Promise<void>;
}

/** The {@link Store} over a kysely instance: one implementation, two dialects. */
export class KyselyStore implements Store {
  readonly dialect: StoreDialect;
  readonly tasks: TaskRepository;
  readonly workflows: WorkflowRepository;
  readonly settings: SettingsRepository;
  readonly audit: AuditRepository;
  readonly strategies: StrategyRepository;
  readonly backtests: BacktestRepository;
  readonly callbacks: CallbackRepository;
  /** The underlying kysely instance, for other repositories of this store. */
  readonly db: Kysely<Database>;
  readonly #schema: string | undefined;
  readonly #onClose: (() => Promise<void>) | undefined;
  #closed: Promise<void> | undefined;
  readonly #writer: BatchWriter;

  constructor(db: Kysely<Database>, dialect: StoreDialect, options: KyselyStoreOptions = {}) {
    this.db = db;
    this.dialect = dialect;
    this.#schema = options.schema;
    this.#onClose = options.onClose;
    const maxParameters = MAX_PARAMETERS[dialect];
    const writer = options.batchWriter ?? new KyselyBatchWriter(db, { maxParameters });
    this.#writer = writer;
    this.tasks = new KyselyTaskRepository(db, { writer, maxParameters });
    this.workflows = new KyselyWorkflowRepository(db, options.workflowWriter);
    this.settings = new KyselySettingsRepository(db);
    this.audit = new KyselyAuditRepository(db, options.auditWriter);
    this.strategies = new KyselyStrategyRepository(db);
    this.backtests = new KyselyBacktestRepository(db);
    this.callbacks = new KyselyCallbackRepository(db);
  }

  async migrate(): Promise<void> {
    await guard('migrate', () =>
      migrateToLatest(this.db, this.#schema === undefined ? {} : { schema: this.#schema }),
    );
  }

  async ping(): Promise<boolean> {
    try {
      await sql`select 1`.execute(this.db);
      return true;
    } catch {
      return false;
    }
  }

  /** Releases the connection or pool; idempotent. */
  close(): Promise<void> {
    this.#closed ??= guard('close', async () => {
      await this.#writer.close?.();
      await this.db.destroy();
      await this.#onClose?.();
    });
    return this.#closed;
  }
}
