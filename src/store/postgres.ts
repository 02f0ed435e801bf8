import { userInfo } from 'node:os';
import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import type { Pool } from 'pg';
import { ValidationError } from '../core/errors.ts';
import { KyselyStore } from './kysely-store.ts';
import { PostgresBatchWriter } from './postgres-batch-writer.ts';
import type { Database } from './schema.ts';
import { guard, isUniqueViolation } from './store-errors.ts';

/** Options for {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** A `postgres://` connection URL. */
  url: string;
  /** Most pooled connections. Default 10. */
  poolMax?: number;
  /**
   * Keep every table in this schema: created if absent, and set as the `search_path` of each
   * pooled connection. Tests use a unique one per run.
   */
  schema?: string;
  /**
   * How write batches run. `json` (default): each table's rows travel as one JSON parameter
   * (`json_populate_recordset`). `kysely`: the portable multi-row writer.
   */
  batchWrites?: 'json' | 'kysely';
  /** Apply pending migrations on open. Default true. */
  migrate?: boolean;
  /** Called when an idle pooled connection fails (the pool replaces it). */
  onPoolError?: (err: Error) => void;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * The URL with a user name when it names none. node-postgres falls back to `$USER` only, which
 * service managers and CI runners often leave unset; libpq (and so `psql`) uses the OS account,
 * and so do we. (A `user` pool option would not help: the connection string overrides it.)
 */
function withDefaultUser(url: string): string {
  if (process.env.PGUSER !== undefined || process.env.USER !== undefined) return url;
  try {
    const parsed = new URL(url);
    if (parsed.username !== '') return url;
    parsed.username = encodeURIComponent(userInfo().username);
    return parsed.toString();
  } catch {
    // Not a URL we can edit, or no OS account: leave it to node-postgres.
    return url;
  }
}

/**
 * Opens a PostgreSQL store over a pg pool and applies migrations. `pg` is loaded only here, on
 * first use.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<KyselyStore> {
  const { url, schema } = options;
  const poolMax = options.poolMax ?? 10;
  if (!Number.isInteger(poolMax) || poolMax < 1) {
    throw new ValidationError('poolMax', `must be a positive integer, got ${poolMax}`);
  }
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new ValidationError(
      'schema',
      `must be a plain identifier (letters, digits, _), got ${JSON.stringify(schema)}`,
    );
  }
  const { default: pg } = await import('pg');
  const pool: Pool = new pg.Pool({ connectionString: withDefaultUser(url), max: poolMax });
  pool.on('error', (err) => options.onPoolError?.(err));
  const setSearchPath =
    schema === undefined ? undefined : CompiledQuery.raw(`set search_path to "${schema}"`);
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool,
      ...(setSearchPath === undefined
        ? {}
        : { onCreateConnection: async (conn) => void (await conn.executeQuery(setSearchPath)) }),
    }),
  });
  let store: KyselyStore | undefined;
  try {
    // Migration bookkeeping always names its schema: kysely otherwise looks for its tables in
    // every schema of the database and can mistake another schema's for ours.
    const home = schema ?? (await guard('open', () => currentSchema(db)));
    const batchWriter = options.batchWrites === 'kysely' ? undefined : new PostgresBatchWriter(db);
    store = new KyselyStore(
      db,
      'postgres',
      batchWriter === undefined ? { schema: home } : { schema: home, batchWriter },
    );
    if (schema !== undefined) {
      await guard('createSchema', async () => {
        try {
          await db.schema.createSchema(schema).ifNotExists().execute();
        } catch (err) {
          // Two processes creating the same schema at once: the loser sees a unique violation.
          if (!isUniqueViolation(err)) throw err;
        }
      });
    }
    if (options.migrate !== false) await store.migrate();
  } catch (err) {
    await (store?.close() ?? db.destroy());
    throw err;
  }
  return store;
}

async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (typeof schema !== 'string') {
    throw new ValidationError(
      'url',
      'the connection has no current schema: set search_path or pass `schema`',
    );
  }
  return schema;
}
