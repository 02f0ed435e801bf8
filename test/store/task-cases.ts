import { describe, expect, it } from 'vitest';
import { isConclaveError } from '../../src/core/errors.ts';
import { TASK_STATUSES, type TaskRecord } from '../../src/core/task.ts';
import { completion, makeDeadLetter, makeFullTask, makeTask } from './fixtures.ts';
import type { StoreAccess } from './store-contract.ts';

/** Task cases of the store contract. */
export function taskCases(store: StoreAccess): void {
  const tasks = () => store().tasks;

  describe('tasks: round trips', () => {
    it('keeps every field of a fully set task, types included', async () => {
      const task = makeFullTask();
      await tasks().writeBatch({ inserts: [task] });
      const read = await tasks().get(task.id);
      expect(read).toStrictEqual(task);
      expect(typeof read?.createdAt).toBe('number');
      expect(typeof read?.timeoutMs).toBe('number');
    });

    it('keeps null optional fields null', async () => {
      const task = makeTask();
      await tasks().writeBatch({ inserts: [task] });
      const read = await tasks().get(task.id);
      expect(read).toStrictEqual(task);
      expect(read?.result).toBeNull();
      expect(read?.error).toBeNull();
      expect(read?.startedAt).toBeNull();
    });

    it('keeps every combination of set and null optional fields', async () => {
      const full = makeFullTask();
      const optional = [
        'corrId',
        'callbackUrl',
        'agent',
        'result',
        'error',
        'startedAt',
        'finishedAt',
        'executionMs',
      ] as const;
      const batch = Array.from({ length: 1 << optional.length }, (_, mask): TaskRecord => {
        const fields: Partial<Pick<TaskRecord, (typeof optional)[number]>> = {};
        optional.forEach((field, bit) => {
          if ((mask & (1 << bit)) !== 0) Object.assign(fields, { [field]: full[field] });
        });
        return { ...makeTask({ payload: full.payload, metadata: full.metadata }), ...fields };
      });
      await tasks().writeBatch({ inserts: batch });
      const read = await tasks().getMany(batch.map((t) => t.id));
      expect(read).toStrictEqual(batch);
    });

    it('keeps scalar and falsy JSON results', async () => {
      const values = [0, false, '', 'text', [], [null], -1.5];
      const batch = values.map((result) => makeTask({ result }));
      await tasks().writeBatch({ inserts: batch });
      const read = await tasks().getMany(batch.map((t) => t.id));
      expect(read.map((t) => t.result)).toStrictEqual(values);
    });

    it('returns undefined for an unknown id', async () => {
      expect(await tasks().get('no-such-task')).toBeUndefined();
    });

    it('getMany returns known tasks in the order asked, each once, skipping unknown ids', async () => {
      const [a, b, c] = [makeTask(), makeTask(), makeTask()];
      await tasks().writeBatch({ inserts: [a, b, c] });
      const read = await tasks().getMany([c.id, 'unknown-1', a.id, c.id, 'unknown-2']);
      expect(read.map((t) => t.id)).toEqual([c.id, a.id]);
      expect(read[1]).toStrictEqual(a);
      expect(await tasks().getMany([])).toEqual([]);
      expect(await tasks().getMany(['unknown-3'])).toEqual([]);
    });

    it('writes batches larger than one statement can carry', async () => {
      const many = Array.from({ length: 2500 }, (_, i) => makeTask({ createdAt: 1_000 + i }));
      await tasks().writeBatch({ inserts: many });
      const read = await tasks().getMany(many.map((t) => t.id));
      expect(read).toHaveLength(2500);
      expect(read[2499]).toStrictEqual(many[2499]);
      expect((await tasks().countByStatus()).queued).toBe(2500);
    });

    it('accepts an empty batch', async () => {
      await tasks().writeBatch({});
      await tasks().writeBatch({ inserts: [], updates: [], deadLetters: [] });
      expect((await tasks().countByStatus()).queued).toBe(0);
    });
  });

  describe('tasks: writeBatch atomicity', () => {
    it('rejects a duplicate task id with CONFLICT naming it, and writes nothing of the batch', async () => {
      const existing = makeTask({ status: 'running', attempts: 1 });
      await tasks().writeBatch({ inserts: [existing] });
      const fresh = makeTask();
      const letter = makeDeadLetter();
      const attempt = tasks().writeBatch({
        inserts: [fresh, makeTask({ id: existing.id })],
        updates: [completion(existing, 2_000_000_000_000)],
        deadLetters: [letter],
      });
      const err: unknown = await attempt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isConclaveError(err, 'CONFLICT')).toBe(true);
      expect((err as Error).message).toContain(existing.id);
      expect(await tasks().get(fresh.id)).toBeUndefined();
      expect(await tasks().get(existing.id)).toStrictEqual(existing);
      expect(await tasks().getDeadLetter(letter.id)).toBeUndefined();
    });

    it('rejects an id repeated within one batch, writing nothing', async () => {
      const twin = makeTask();
      const other = makeTask();
      await expect(tasks().writeBatch({ inserts: [other, twin, { ...twin }] })).rejects.toMatchObject({
        code: 'CONFLICT',
        details: { taskIds: [twin.id] },
      });
      expect(await tasks().getMany([twin.id, other.id])).toEqual([]);
    });

    it('rolls back the tasks of a batch whose dead letter collides', async () => {
      const letter = makeDeadLetter();
      await tasks().writeBatch({ deadLetters: [letter] });
      const task = makeTask();
      await expect(
        tasks().writeBatch({ inserts: [task], deadLetters: [makeDeadLetter({ id: letter.id })] }),
      ).rejects.toMatchObject({ code: 'CONFLICT', details: { deadLetterIds: [letter.id] } });
      expect(await tasks().get(task.id)).toBeUndefined();
      expect(await tasks().getDeadLetter(letter.id)).toStrictEqual(letter);
    });

    it('leaves the store usable after a failed batch', async () => {
      const task = makeTask();
      await tasks().writeBatch({ inserts: [task] });
      await expect(tasks().writeBatch({ inserts: [task] })).rejects.toMatchObject({ code: 'CONFLICT' });
      const next = makeTask();
      await tasks().writeBatch({ inserts: [next], updates: [completion(task, 1_700_000_000_500)] });
      expect((await tasks().get(task.id))?.status).toBe('completed');
      expect(await tasks().get(next.id)).toStrictEqual(next);
    });
  });

  describe('tasks: updates', () => {
    it('changes only the fields an update lists', async () => {
      const task = makeFullTask({ status: 'queued' });
      await tasks().writeBatch({ inserts: [task] });
      await tasks().writeBatch({ updates: [{ id: task.id, status: 'running', attempts: 5, updatedAt: 42 }] });
      expect(await tasks().get(task.id)).toStrictEqual({
        ...task,
        status: 'running',
        attempts: 5,
        updatedAt: 42,
      });
    });

    it('sets listed fields, including to null', async () => {
      const task = makeFullTask();
      await tasks().writeBatch({ inserts: [task] });
      const update = {
        id: task.id,
        status: 'completed' as const,
        attempts: 6,
        updatedAt: 77,
        agent: null,
        result: { done: ['✓'] },
        error: null,
        startedAt: null,
        finishedAt: 99,
        executionMs: 0.5,
      };
      await tasks().writeBatch({ updates: [update] });
      const { id: _id, ...fields } = update;
      expect(await tasks().get(task.id)).toStrictEqual({ ...task, ...fields });
    });

    it('applies an insert and its updates in one batch, in order', async () => {
      const task = makeTask();
      const running = {
        id: task.id,
        status: 'running' as const,
        attempts: 1,
        updatedAt: 10,
        startedAt: 9,
        agent: 'a',
      };
      const done = {
        id: task.id,
        status: 'completed' as const,
        attempts: 1,
        updatedAt: 20,
        result: { ok: 1 },
      };
      await tasks().writeBatch({ inserts: [task], updates: [running, done] });
      expect(await tasks().get(task.id)).toStrictEqual({
        ...task,
        status: 'completed',
        attempts: 1,
        updatedAt: 20,
        startedAt: 9,
        agent: 'a',
        result: { ok: 1 },
      });
    });

    it('applies several updates of a stored task in one batch, later fields winning', async () => {
      const task = makeTask();
      await tasks().writeBatch({ inserts: [task] });
      await tasks().writeBatch({
        updates: [
          { id: task.id, status: 'running', attempts: 1, updatedAt: 10, agent: 'first', startedAt: 10 },
          { id: task.id, status: 'failed', attempts: 2, updatedAt: 20, agent: 'second', executionMs: 3 },
        ],
      });
      expect(await tasks().get(task.id)).toStrictEqual({
        ...task,
        status: 'failed',
        attempts: 2,
        updatedAt: 20,
        agent: 'second',
        startedAt: 10,
        executionMs: 3,
      });
    });

    it('ignores updates of unknown ids, creating no row', async () => {
      const known = makeTask();
      await tasks().writeBatch({ inserts: [known] });
      await tasks().writeBatch({
        updates: [completion(makeTask({ id: 'ghost' }), 5), completion(known, 6)],
      });
      expect(await tasks().get('ghost')).toBeUndefined();
      expect((await tasks().get(known.id))?.status).toBe('completed');
      expect(Object.values(await tasks().countByStatus()).reduce((a, b) => a + b, 0)).toBe(1);
    });
  });

  describe('tasks: listing and counting', () => {
    it('lists tasks in the given states, oldest first, up to the limit', async () => {
      const t = (status: (typeof TASK_STATUSES)[number], createdAt: number) =>
        makeTask({ status, createdAt });
      const batch = [t('running', 30), t('queued', 10), t('completed', 5), t('queued', 20), t('failed', 1)];
      await tasks().writeBatch({ inserts: batch });
      const live = await tasks().listByStatus(['queued', 'running']);
      expect(live.map((x) => x.createdAt)).toEqual([10, 20, 30]);
      expect(live[0]).toStrictEqual(batch[1]);
      expect((await tasks().listByStatus(['queued', 'running'], 2)).map((x) => x.createdAt)).toEqual([
        10, 20,
      ]);
      expect((await tasks().listByStatus(['failed'])).map((x) => x.id)).toEqual([batch[4]!.id]);
      expect(await tasks().listByStatus([])).toEqual([]);
      expect(await tasks().listByStatus(['dead_lettered'])).toEqual([]);
    });

    it('counts every status, zero when none', async () => {
      const empty = await tasks().countByStatus();
      expect(empty).toEqual(Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])));
      const batch = [
        makeTask(),
        makeTask(),
        makeTask({ status: 'running' }),
        makeTask({ status: 'dead_lettered' }),
      ];
      await tasks().writeBatch({ inserts: batch });
      await tasks().writeBatch({ updates: [completion(batch[0]!, 1_800_000_000_000)] });
      expect(await tasks().countByStatus()).toEqual({
        queued: 1,
        running: 1,
        completed: 1,
        failed: 0,
        dead_lettered: 1,
      });
    });
  });
}
