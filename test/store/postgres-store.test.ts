import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createStore, openPostgresStore } from '../../src/store/index.ts';
import { POSTGRES_URL, postgresSchemas, probePostgres } from '../support/postgres.ts';
import { suiteName } from '../support/services.ts';
import { makeFullTask, makeTask } from './fixtures.ts';
import { storeContract } from './store-contract.ts';

const url = POSTGRES_URL;
const postgres = await probePostgres();
const { freshSchema, dropSchemas } = postgresSchemas('conclave_test');

describe.skipIf(!postgres.available)(suiteName('PostgreSQL store', postgres), () => {
  storeContract(
    'PostgreSQL',
    () => openPostgresStore({ url, poolMax: 4, schema: freshSchema() }),
    dropSchemas,
  );
  storeContract(
    'PostgreSQL, portable kysely batches',
    () => openPostgresStore({ url, poolMax: 4, schema: freshSchema(), batchWrites: 'kysely' }),
    dropSchemas,
  );

  describe('PostgreSQL specifics', () => {
    it('keeps each schema separate and sets search_path on every pooled connection', async () => {
      const schemaA = freshSchema();
      const a = await openPostgresStore({ url, poolMax: 4, schema: schemaA });
      const b = await openPostgresStore({ url, poolMax: 4, schema: freshSchema() });
      try {
        const task = makeFullTask();
        await a.tasks.writeBatch({ inserts: [task] });
        // Enough concurrent reads to open several pooled connections: each must see the schema.
        const reads = await Promise.all(Array.from({ length: 12 }, () => a.tasks.get(task.id)));
        expect(reads.every((r) => r?.id === task.id)).toBe(true);
        expect(await b.tasks.get(task.id)).toBeUndefined();
        const [{ schema } = { schema: '' }] = (
          await sql<{ schema: string }>`select current_schema() as schema`.execute(a.db)
        ).rows;
        expect(schema).toBe(schemaA);
      } finally {
        await a.close();
        await b.close();
        await dropSchemas();
      }
    });

    it('stores times as BIGINT and reads them back as numbers', async () => {
      const store = await openPostgresStore({ url, poolMax: 1, schema: freshSchema() });
      try {
        const { rows } = await sql<{ type: string }>`
          select data_type as type from information_schema.columns
          where table_schema = current_schema() and table_name = 'tasks' and column_name = 'created_at'`.execute(
          store.db,
        );
        expect(rows[0]?.type).toBe('bigint');
        const task = makeTask({ createdAt: 8_640_000_000_000_000 });
        await store.tasks.writeBatch({ inserts: [task] });
        const read = await store.tasks.get(task.id);
        expect(read?.createdAt).toBe(8_640_000_000_000_000);
        expect(typeof read?.createdAt).toBe('number');
      } finally {
        await store.close();
        await dropSchemas();
      }
    });

    it("is what createStore opens for the postgres driver, migrating the connection's schema", async () => {
      // createStore takes no schema: point the URL's search_path at a fresh one instead of public.
      const schema = freshSchema();
      const setup = await openPostgresStore({ url, poolMax: 1, schema, migrate: false });
      await setup.close();
      const scoped = new URL(url);
      scoped.searchParams.set('options', `-c search_path=${schema}`);
      const store = await createStore({
        driver: 'postgres',
        sqlitePath: '/nonexistent/unused.db',
        postgresUrl: scoped.toString(),
        postgresPoolMax: 2,
      });
      try {
        expect(store.dialect).toBe('postgres');
        const task = makeFullTask();
        await store.tasks.writeBatch({ inserts: [task] });
        expect(await store.tasks.get(task.id)).toStrictEqual(task);
        const { rows } = await sql<{ n: string }>`
          select count(*) as n from information_schema.tables
          where table_schema = ${schema} and table_name in ('tasks', 'dead_letters', 'kysely_migration')`.execute(
          store.db,
        );
        expect(Number(rows[0]?.n)).toBe(3);
      } finally {
        await store.close();
        await dropSchemas();
      }
    });

    it('rejects a schema name that is not a plain identifier', async () => {
      await expect(openPostgresStore({ url, schema: 'x"; drop table y; --' })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    });
  });
});
