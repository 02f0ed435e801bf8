import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createStore, openSqliteStore } from '../../src/store/index.ts';
import { SqliteCheckpointer } from '../../src/store/sqlite-checkpointer.ts';
import { SqliteWorkerExecutor } from '../../src/store/sqlite-worker-executor.ts';
import { completion, makeDeadLetter, makeFullTask } from './fixtures.ts';
import { storeContract } from './store-contract.ts';

const root = join(tmpdir(), `conclave-store-test-${process.pid}-${randomUUID()}`);
let files = 0;
/** A fresh database path in a directory that does not exist yet. */
const freshPath = () => join(root, `run-${files++}`, 'nested', 'conclave.db');
const removeRoot = () => rm(root, { recursive: true, force: true });

storeContract('SQLite file, adaptive writes', () => openSqliteStore({ path: freshPath() }), removeRoot);
storeContract('SQLite file, writer thread', () =>
  openSqliteStore({ path: freshPath(), batchWrites: 'thread' }),
);
storeContract('SQLite file, inline prepared statements', () =>
  openSqliteStore({ path: freshPath(), batchWrites: 'inline' }),
);
storeContract('SQLite :memory:', () => openSqliteStore({ path: ':memory:' }));
storeContract('SQLite file, portable kysely batches', () =>
  openSqliteStore({ path: freshPath(), batchWrites: 'kysely' }),
);

describe('SQLite store', () => {
  afterAll(removeRoot);

  it('keeps data across close and reopen of the same file', async () => {
    const path = freshPath();
    const task = makeFullTask({ status: 'queued' });
    const letter = makeDeadLetter();
    const first = await openSqliteStore({ path });
    await first.tasks.writeBatch({ inserts: [task], deadLetters: [letter] });
    await first.tasks.writeBatch({ updates: [completion(task, 1_800_000_000_000)] });
    const expected = await first.tasks.get(task.id);
    await first.close();

    const second = await openSqliteStore({ path });
    try {
      expect(await second.tasks.get(task.id)).toStrictEqual(expected);
      expect(expected?.status).toBe('completed');
      expect(await second.tasks.getDeadLetter(letter.id)).toStrictEqual(letter);
    } finally {
      await second.close();
    }
  });

  it('creates the parent directory and opens in WAL mode with foreign keys on', async () => {
    const path = freshPath();
    const store = await openSqliteStore({ path, busyTimeoutMs: 1234 });
    try {
      expect(existsSync(path)).toBe(true);
      const pragma = async (name: string) =>
        Object.values(
          (await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(store.db)).rows[0] ?? {},
        )[0];
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('synchronous')).toBe(1); // NORMAL
      expect(await pragma('busy_timeout')).toBe(1234);
      expect(await pragma('foreign_keys')).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('is what createStore opens for the sqlite driver', async () => {
    const store = await createStore({
      driver: 'sqlite',
      sqlitePath: freshPath(),
      postgresUrl: 'postgres://unused.invalid/none',
      postgresPoolMax: 1,
    });
    try {
      expect(store.dialect).toBe('sqlite');
      const task = makeFullTask();
      await store.tasks.writeBatch({ inserts: [task] });
      expect(await store.tasks.get(task.id)).toStrictEqual(task);
    } finally {
      await store.close();
    }
  });

  it('starts its writer thread on warm(), and says when it is ready', async () => {
    const path = freshPath();
    mkdirSync(dirname(path), { recursive: true });
    const executor = new SqliteWorkerExecutor(path, 1000);
    try {
      expect(executor.warm()).toBe('starting'); // just started
      const deadline = Date.now() + 10_000;
      while (executor.warm() !== 'ready' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(executor.warm()).toBe('ready');
    } finally {
      await executor.close();
    }
  });

  it('rejects a bad busy timeout before touching the disk', async () => {
    await expect(openSqliteStore({ path: freshPath(), busyTimeoutMs: -1 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });
});

describe('SqliteCheckpointer', () => {
  afterAll(removeRoot);

  it('starts its thread only once the WAL has grown past the threshold, and checkpoints it', async () => {
    const path = freshPath();
    const store = await openSqliteStore({ path, batchWrites: 'inline' });
    const wal = `${path}-wal`;
    const script = new URL('../../src/store/sqlite-writer-worker.mjs', import.meta.url);
    const walAtOpen = statSync(wal).size; // the migrations'
    const dbAtOpen = statSync(path).size;
    const checkpointer = new SqliteCheckpointer(script, path, 1000, {
      startAtWalBytes: walAtOpen + 512 * 1024,
      pollMs: 10,
      intervalMs: 20,
    });
    try {
      await new Promise((r) => setTimeout(r, 50));
      expect(checkpointer.started).toBe(false); // an empty WAL
      const rows = Array.from({ length: 1000 }, (_, i) =>
        makeFullTask({ status: 'queued', payload: { i, pad: 'x'.repeat(1000) } }),
      );
      await store.tasks.writeBatch({ inserts: rows });
      const deadline = Date.now() + 10_000;
      while (!checkpointer.started && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(checkpointer.started).toBe(true);
      // Its checkpoints copy the new pages back into the database file, which grows.
      while (statSync(path).size <= dbAtOpen && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      expect(statSync(path).size).toBeGreaterThan(dbAtOpen);
    } finally {
      await checkpointer.close();
      await store.close();
    }
  });

  it('starts its thread again after it stops on its own', async () => {
    const path = freshPath();
    const store = await openSqliteStore({ path, batchWrites: 'inline' });
    let starts = 0;
    // A "thread" that records its start and exits at once, as a crashed one would.
    const script = new URL(
      `data:text/javascript,import { parentPort } from 'node:worker_threads'; parentPort.postMessage('up'); process.exit(0);`,
    );
    const checkpointer = new SqliteCheckpointer(script, path, 1000, { startAtWalBytes: 1, pollMs: 5 });
    try {
      const deadline = Date.now() + 10_000;
      // Each start shows as `started` until its exit (tens of ms): count the rising edges.
      let was = false;
      while (starts < 2 && Date.now() < deadline) {
        const now = checkpointer.started;
        if (now && !was) starts++;
        was = now;
        await new Promise((r) => setTimeout(r, 1));
      }
      expect(starts).toBeGreaterThanOrEqual(2);
    } finally {
      await checkpointer.close();
      await store.close();
    }
  });
});
