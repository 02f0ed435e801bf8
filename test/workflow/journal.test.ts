import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { openSqliteStore } from '../../src/store/index.ts';
import { suiteName } from '../support/services.ts';
import { postgresSchemas, probePostgres } from '../support/postgres.ts';
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

const postgres = await probePostgres();
const pg = postgresSchemas('conclave_wf');

describe.skipIf(!postgres.available)(suiteName('PostgreSQL workflow journal', postgres), () => {
  journalContract('PostgreSQL', () => pg.open(), pg.dropSchemas);
});
