import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { openPostgresStore, type PostgresStoreOptions } from '../../src/store/index.ts';
import type { KyselyStore } from '../../src/store/kysely-store.ts';
import { requireService } from './services.ts';

/** The test server (loopback, trust auth), overridable with CONCLAVE_TEST_POSTGRES_URL. */
export const POSTGRES_URL = process.env['CONCLAVE_TEST_POSTGRES_URL'] ?? 'postgres://127.0.0.1:5432/test';

/** Whether the test PostgreSQL answers (skip with the reason when not; required under CI=true). */
export function probePostgres(): ReturnType<typeof requireService> {
  return requireService(`PostgreSQL at ${POSTGRES_URL}`, async () => {
    const probe = await openPostgresStore({ url: POSTGRES_URL, poolMax: 1, migrate: false });
    try {
      await sql`select 1`.execute(probe.db);
    } finally {
      await probe.close();
    }
  });
}

/**
 * Stores in fresh schemas of their own, named `<prefix>_<run>_<n>` so that a suite's tests never
 * see each other's rows; `dropSchemas` removes every schema this set created.
 */
export function postgresSchemas(prefix: string): {
  open: (options?: Omit<PostgresStoreOptions, 'url' | 'schema'>) => Promise<KyselyStore>;
  freshSchema: () => string;
  dropSchemas: () => Promise<void>;
} {
  const run = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const schemas: string[] = [];
  const freshSchema = (): string => {
    const schema = `${run}_${schemas.length}`;
    schemas.push(schema);
    return schema;
  };
  return {
    freshSchema,
    open: (options = {}) =>
      openPostgresStore({ poolMax: 4, ...options, url: POSTGRES_URL, schema: freshSchema() }),
    dropSchemas: async () => {
      if (schemas.length === 0) return;
      const admin = await openPostgresStore({ url: POSTGRES_URL, poolMax: 1, migrate: false });
      try {
        for (const schema of schemas.splice(0)) {
          await admin.db.schema.dropSchema(schema).ifExists().cascade().execute();
        }
      } finally {
        await admin.close();
      }
    },
  };
}
