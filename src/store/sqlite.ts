import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, SqliteDialect } from 'kysely';
import type BetterSqlite3 from 'better-sqlite3';
import { ValidationError } from '../core/errors.ts';
import { KyselyStore, type KyselyStoreOptions } from './kysely-store.ts';
import type { Database } from './schema.ts';
import { SqliteBatchWriter, SqliteStatementCatalog } from './sqlite-batch-writer.ts';
import { SqliteAuditWriter } from './sqlite-audit-writer.ts';
import { SqliteWorkflowWriter } from './sqlite-workflow-writer.ts';
import { SqliteAdaptiveExecutor } from './sqlite-adaptive-executor.ts';
import { SqliteInlineExecutor } from './sqlite-inline-executor.ts';
import { SqliteWorkerExecutor } from './sqlite-worker-executor.ts';
import { guard } from './store-errors.ts';

/** Options for {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file (its directory is created), or `:memory:` for a private in-memory database. */
  path: string;
  /** How long a writer waits for another process's lock before failing. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * How write batches run, all through statements compiled once by kysely and prepared once:
   * `adaptive` (default for files): small batches inline while the writer thread is idle, larger
   * ones on the writer thread (its own connection, another core); `thread`: always on the writer
   * thread; `inline` (the only choice for `:memory:`): on the store's connection; `kysely`: the
   * portable multi-row writer.
   */
  batchWrites?: 'adaptive' | 'thread' | 'inline' | 'kysely';
  /** Apply pending migrations on open. Default true. */
  migrate?: boolean;
}

const IN_MEMORY = new Set([':memory:', '']);
/** Batches of at most this many row writes run inline when the writer thread is idle. */
const INLINE_MAX_OPS = 64;

/**
 * Opens (creating if needed) a SQLite store: WAL journal, `synchronous=NORMAL`, a busy timeout,
 * foreign keys on, migrations applied. better-sqlite3 is loaded only here, on first use.
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<KyselyStore> {
  const { path } = options;
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new ValidationError('busyTimeoutMs', `must be a non-negative integer, got ${busyTimeoutMs}`);
  }
  const raw = await guard('open', async () => {
    if (!IN_MEMORY.has(path)) mkdirSync(dirname(path), { recursive: true });
    const { default: Sqlite } = await import('better-sqlite3');
    const db: BetterSqlite3.Database = new Sqlite(path);
    try {
      // Measured on the task hot path (bench/RESULTS.md): 8 KiB pages and a 32 MiB page cache cut
      // an insert plus its final update from ~10 to ~8 us. page_size only applies to a new file.
      db.pragma('page_size = 8192');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('cache_size = -32768');
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      db.pragma('foreign_keys = ON');
    } catch (err) {
      db.close();
      throw err;
    }
    return db;
  });
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  const mode =
    IN_MEMORY.has(path) && options.batchWrites !== 'kysely' ? 'inline' : (options.batchWrites ?? 'adaptive');
  const inline = (): SqliteInlineExecutor => new SqliteInlineExecutor(db, raw);
  const thread = (): SqliteWorkerExecutor => {
    // The writer's checkpointer thread checkpoints; this connection must not stall on it.
    raw.pragma('wal_autocheckpoint = 0');
    return new SqliteWorkerExecutor(path, busyTimeoutMs);
  };
  let writers: KyselyStoreOptions = {};
  if (mode !== 'kysely') {
    const executor =
      mode === 'inline'
        ? inline()
        : mode === 'thread'
          ? thread()
          : new SqliteAdaptiveExecutor(inline(), thread(), INLINE_MAX_OPS);
    // One catalog and one executor for task, journal and audit batches: one order of commits.
    const catalog = new SqliteStatementCatalog(db);
    writers = {
      batchWriter: new SqliteBatchWriter(catalog, executor),
      workflowWriter: new SqliteWorkflowWriter(catalog, executor),
      auditWriter: new SqliteAuditWriter(catalog, executor),
    };
  }
  const store = new KyselyStore(db, 'sqlite', writers);
  if (options.migrate !== false) {
    try {
      await store.migrate();
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  return store;
}
