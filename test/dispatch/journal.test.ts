import { afterEach, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../src/core/task.ts';
import { TaskJournal } from '../../src/dispatch/journal.ts';
import { openSqliteStore } from '../../src/store/index.ts';
import type { Store, TaskBatch, TaskRepository } from '../../src/store/store.ts';
import { makeTask } from '../store/fixtures.ts';

const MAX_BATCH = 4;

interface Entry {
  rec: TaskRecord;
}

/** The store's real task repository, noting each batch as it is handed over and when it settles. */
class RecordingTasks {
  readonly handed: { inserts: string[]; updates: string[] }[] = [];
  inFlight = 0;
  maxInFlight = 0;

  constructor(private readonly tasks: TaskRepository) {}

  writeBatch = (batch: TaskBatch): Promise<void> => {
    this.handed.push({
      inserts: (batch.inserts ?? []).map((t) => t.id),
      updates: (batch.updates ?? []).map((u) => u.id),
    });
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    return this.tasks.writeBatch(batch).finally(() => this.inFlight--);
  };

  asRepository(): TaskRepository {
    return { ...this.tasks, writeBatch: this.writeBatch };
  }
}

const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function journal(
  inOrder: boolean,
): Promise<{ j: TaskJournal<Entry>; rec: RecordingTasks; store: Store }> {
  const store = await openSqliteStore({ path: ':memory:' });
  stores.push(store);
  const rec = new RecordingTasks(store.tasks);
  const j = new TaskJournal<Entry>(rec.asRepository(), { maxBatch: MAX_BATCH, inOrder });
  return { j, rec, store };
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
});
