import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe } from 'vitest';
import { openPostgresStore, openSqliteStore } from '../../src/store/index.ts';
import { requireService, suiteName } from '../support/services.ts';
import { journalContract } from './journal-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'conclave-journal-'));
let files = 0;
journalContract('SQLite :memory:, prepared statements', () => openSqliteStore({ path: ':memory:' }));
journalContract('SQLite file, writer thread', () =>
  openSqliteStore({ path: join(dir, `j${files++}.db`), batchWrites: 'thread' }),
);
journalContract('SQLite file, portable kysely writes', () =>
  openSqliteStore({ path: join(dir, `j${files++}.db`), batchWrites: 'kysely' }),
);

const url = process.env.CONCLAVE_TEST_POSTGRES_URL ?? 'postgres://127.0.0.1:5432/test';
const postgres = await requireService(`PostgreSQL at ${url}`, async () => {
  const probe = await openPostgresStore({ url, poolMax: 1, migrate: false });
  try {
    await sql`select 1`.execute(probe.db);
  } finally {
    await probe.close();
  }
});
const prefix = `conclave_wf_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const schemas: string[] = [];

describe.skipIf(!postgres.available)(suiteName('PostgreSQL workflow journal', postgres), () => {
  journalContract(
    'PostgreSQL',
    () => {
      const schema = `${prefix}_${schemas.length}`;
      schemas.push(schema);
      return openPostgresStore({ url, poolMax: 4, schema });
    },
    async () => {
      const admin = await openPostgresStore({ url, poolMax: 1, migrate: false });
      try {
        for (const s of schemas.splice(0)) await admin.db.schema.dropSchema(s).ifExists().cascade().execute();
      } finally {
        await admin.close();
      }
    },
  );
});
