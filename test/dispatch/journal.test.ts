import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskRecord, TaskStatus } from '../../src/core/task.ts';
import { TaskJournal } from '../../src/dispatch/journal.ts';
import { openSqliteStore } from '../../src/store/index.ts';
import type { Store, TaskBatch, TaskRepository } from '../../src/store/store.ts';
import { makeTask } from '../store/fixtures.ts';

const MAX_BATCH = 4;

interface Entry {
  rec: TaskRecord;
}

/**
 * The store's real task repository, noting each batch as it is handed over and how many are in
 * flight; `failNext` makes the next batch fail before it reaches the store.
 */
class RecordingTasks {
  readonly handed: { inserts: string[]; updates: string[] }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  failNext = false;

  constructor(private readonly tasks: TaskRepository) {}

  writeBatch = (batch: TaskBatch): Promise<void> => {
    this.handed.push({
      inserts: (batch.inserts ?? []).map((t) => t.id),
      updates: (batch.updates ?? []).map((u) => u.id),
    });
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    if (this.failNext) {
      this.failNext = false;
      this.inFlight--;
      return Promise.reject(new Error('injected failure'));
    }
    return this.tasks.writeBatch(batch).finally(() => this.inFlight--);
  };

  asRepository(): TaskRepository {
    return { writesInOrder: this.tasks.writesInOrder, writeBatch: this.writeBatch } as TaskRepository;
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rig {
  j: TaskJournal<Entry>;
  rec: RecordingTasks;
  store: Store;
  committed: TaskStatus[][];
}

/** A journal over a real SQLite store: in memory (batches run inline) or a file (writer thread). */
async function journal(inOrder: boolean, where: 'memory' | 'file' = 'memory'): Promise<Rig> {
  let path = ':memory:';
  if (where === 'file') {
    const dir = mkdtempSync(join(tmpdir(), 'conclave-journal-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    path = join(dir, 'journal.db');
  }
  const store = await openSqliteStore({ path });
  cleanups.push(() => store.close());
  const rec = new RecordingTasks(store.tasks);
  const committed: TaskStatus[][] = [];
  const j = new TaskJournal<Entry>(rec.asRepository(), {
    maxBatch: MAX_BATCH,
    inOrder,
    onCommitted: (_entries, statuses) => committed.push([...statuses]),
  });
  return { j, rec, store, committed };
}

function hops(n: number): Promise<void> {
  let p = Promise.resolve();
  for (let i = 0; i < n; i++) p = p.then(() => undefined);
  return p;
}

describe('TaskJournal', () => {
  it('hands a full batch to an in-order store at once, during a synchronous run of inserts', async () => {
    const { j, rec, store } = await journal(true);
    const tasks = Array.from({ length: 3 * MAX_BATCH + 1 }, () => makeTask());
    const accepted = tasks.map((t) => j.insert(t));
    // Before the turn ends: the three full batches are with the store, in order; the last row waits.
    expect(rec.handed.map((b) => b.inserts)).toEqual(
      [0, 1, 2].map((k) => tasks.slice(k * MAX_BATCH, (k + 1) * MAX_BATCH).map((t) => t.id)),
    );
    await Promise.all(accepted);
    expect(rec.handed.flatMap((b) => b.inserts)).toEqual(tasks.map((t) => t.id));
    expect((await store.tasks.countByStatus()).queued).toBe(tasks.length);
  });

  it('keeps one commit at a time for a store that may reorder them', async () => {
    const { j, rec, store } = await journal(false);
    const tasks = Array.from({ length: 3 * MAX_BATCH + 1 }, () => makeTask());
    const accepted = tasks.map((t) => j.insert(t));
    expect(rec.handed).toEqual([]);
    await Promise.all(accepted);
    expect(rec.maxInFlight).toBe(1);
    expect(rec.handed.flatMap((b) => b.inserts)).toEqual(tasks.map((t) => t.id));
    expect((await store.tasks.countByStatus()).queued).toBe(tasks.length);
  });

  it('hands the states of a full batch of changed tasks over at once, each task once', async () => {
    const { j, rec, store } = await journal(true);
    const entries = Array.from({ length: MAX_BATCH + 1 }, () => ({ rec: makeTask() }));
    await Promise.all(entries.map((e) => j.insert(e.rec)));
    rec.handed.length = 0;
    for (const e of entries) {
      e.rec = { ...e.rec, status: 'running', attempts: 1 };
      j.touch(e);
    }
    j.touch(entries.at(-1)!); // a second change before its commit costs nothing more
    expect(rec.handed.map((b) => b.updates)).toEqual([entries.slice(0, MAX_BATCH).map((e) => e.rec.id)]);
    await j.flush();
    expect(rec.handed.flatMap((b) => b.updates).sort()).toEqual(entries.map((e) => e.rec.id).sort());
    expect((await store.tasks.countByStatus()).running).toBe(entries.length);
  });

  it('rejects the inserters of a full batch that fails, writes none of it, and goes on with the next', async () => {
    const { j, store } = await journal(true);
    const first = Array.from({ length: MAX_BATCH }, () => makeTask());
    await Promise.all(first.map((t) => j.insert(t)));
    // The second full batch repeats a stored id: its transaction fails as a whole.
    const failing = [makeTask(), makeTask(), { ...first[0]! }, makeTask()];
    const next = Array.from({ length: MAX_BATCH }, () => makeTask());
    const results = await Promise.allSettled([...failing, ...next].map((t) => j.insert(t)));
    expect(results.slice(0, MAX_BATCH).every((r) => r.status === 'rejected')).toBe(true);
    expect(results.slice(MAX_BATCH).every((r) => r.status === 'fulfilled')).toBe(true);
    const stored = await store.tasks.getMany([...failing, ...next].map((t) => t.id));
    expect(stored.map((t) => t.id).sort()).toEqual([first[0]!.id, ...next.map((t) => t.id)].sort());
  });

  it('says what the SQLite store promises: batches land in the order handed over', async () => {
    const { store } = await journal(true);
    expect(store.tasks.writesInOrder).toBe(true);
  });

  for (const where of ['memory', 'file'] as const) {
    it(`writes a task's latest state last when full batches queue behind one another (${where})`, async () => {
      // Whatever the microtask at which the newest batch is formed, it commits after the older
      // ones: an older state written last would leave a finished task stored as running.
      for (let k = 0; k <= 6; k++) {
        const { j, store } = await journal(true, where);
        const a = Array.from({ length: MAX_BATCH }, () => ({ rec: makeTask() }));
        const b = Array.from({ length: MAX_BATCH }, () => ({ rec: makeTask() }));
        await Promise.all([...a, ...b].map((e) => j.insert(e.rec)));
        for (const e of [...b, ...a]) {
          e.rec = { ...e.rec, status: 'running', attempts: 1 };
          j.touch(e);
        }
        await hops(k);
        for (const e of a) {
          e.rec = { ...e.rec, status: 'completed' };
          j.touch(e);
        }
        await j.flush();
        const rows = await store.tasks.getMany(a.map((e) => e.rec.id));
        expect(
          rows.map((r) => r.status),
          `after ${k} hops`,
        ).toEqual(a.map(() => 'completed'));
      }
    });
  }

  it('reports commits in the order they were handed over, several in flight', async () => {
    const { j, committed } = await journal(true, 'file');
    const entries = Array.from({ length: 3 * MAX_BATCH }, () => ({ rec: makeTask() }));
    await Promise.all(entries.map((e) => j.insert(e.rec)));
    const order: TaskStatus[] = ['running', 'completed', 'failed'];
    for (const [k, status] of order.entries()) {
      for (const e of entries.slice(k * MAX_BATCH, (k + 1) * MAX_BATCH)) {
        e.rec = { ...e.rec, status };
        j.touch(e);
      }
    }
    await j.flush();
    expect(committed.slice(-3)).toEqual(
      order.map((status) => Array.from({ length: MAX_BATCH }, () => status)),
    );
  });

  it('hands over a small batch waiting ahead of a full one together with it', async () => {
    const { j, rec } = await journal(true);
    const small = [makeTask(), makeTask()];
    const accepted = small.map((t) => j.insert(t)); // waits for the end of the turn
    const many = Array.from({ length: MAX_BATCH + 1 }, () => makeTask());
    const together = j.insertMany(many); // full: goes now, and the small one ahead of it first
    expect(rec.handed.map((batch) => batch.inserts)).toEqual([small.map((t) => t.id), many.map((t) => t.id)]);
    await Promise.all([...accepted, together]);
  });

  it('retries a failed batch of changed tasks later, with their state as of then, while other work goes on', async () => {
    const { j, rec, store } = await journal(true);
    const entries = Array.from({ length: MAX_BATCH }, () => ({ rec: makeTask() }));
    await Promise.all(entries.map((e) => j.insert(e.rec)));
    rec.handed.length = 0;
    rec.failNext = true;
    for (const e of entries) {
      e.rec = { ...e.rec, status: 'running', attempts: 1 };
      j.touch(e);
    }
    expect(rec.handed).toHaveLength(1); // handed over at once, and refused
    await hops(3);
    // Not tried again at once: a failing store is not retried turn after turn...
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(rec.handed).toHaveLength(1);
    // ...while an unrelated insert is written at the end of its turn, as usual.
    const other = makeTask();
    await j.insert(other);
    expect(rec.handed.map((batch) => batch.inserts)).toEqual([[], [other.id]]);
    for (const e of entries) e.rec = { ...e.rec, status: 'completed' }; // changed since the failure
    await j.flush();
    expect(rec.handed).toHaveLength(3);
    expect(rec.handed[2]!.updates.sort()).toEqual(entries.map((e) => e.rec.id).sort());
    const rows = await store.tasks.getMany(entries.map((e) => e.rec.id));
    expect(rows.map((r) => r.status)).toEqual(entries.map(() => 'completed'));
  });
});
