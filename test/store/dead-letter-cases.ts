import { describe, expect, it } from 'vitest';
import { makeDeadLetter, uid } from './fixtures.ts';
import type { StoreAccess } from './store-contract.ts';

/** Dead-letter cases of the store contract. */
export function deadLetterCases(store: StoreAccess): void {
  const tasks = () => store().tasks;

  describe('dead letters', () => {
    it('round-trips every field', async () => {
      const letter = makeDeadLetter({ deadAt: 4_102_444_800_000 });
      await tasks().writeBatch({ deadLetters: [letter] });
      expect(await tasks().getDeadLetter(letter.id)).toStrictEqual(letter);
      expect(await tasks().getDeadLetter('no-such-letter')).toBeUndefined();
    });

    it('lists newest first, without replayed letters by default', async () => {
      const old = makeDeadLetter({ deadAt: 100 });
      const mid = makeDeadLetter({ deadAt: 200 });
      const replayed = makeDeadLetter({ deadAt: 300, replayedTaskId: uid('task'), replayedAt: 350 });
      const recent = makeDeadLetter({ deadAt: 400 });
      await tasks().writeBatch({ deadLetters: [old, replayed, recent, mid] });
      expect((await tasks().listDeadLetters()).map((d) => d.id)).toEqual([recent.id, mid.id, old.id]);
      const all = await tasks().listDeadLetters({ includeReplayed: true });
      expect(all.map((d) => d.id)).toEqual([recent.id, replayed.id, mid.id, old.id]);
      expect(all[1]).toStrictEqual(replayed);
    });

    it('filters by pattern and pages with limit and offset', async () => {
      const letters = Array.from({ length: 6 }, (_, i) =>
        makeDeadLetter({ deadAt: 1000 + i, pattern: i % 2 === 0 ? 'even.pattern' : 'odd.pattern' }),
      );
      await tasks().writeBatch({ deadLetters: letters });
      const even = await tasks().listDeadLetters({ pattern: 'even.pattern' });
      expect(even.map((d) => d.deadAt)).toEqual([1004, 1002, 1000]);
      const page = await tasks().listDeadLetters({ limit: 2, offset: 1 });
      expect(page.map((d) => d.deadAt)).toEqual([1004, 1003]);
      expect(await tasks().listDeadLetters({ pattern: 'none' })).toEqual([]);
    });

    it('returns at most 100 letters unless asked for more', async () => {
      const letters = Array.from({ length: 105 }, (_, i) => makeDeadLetter({ deadAt: i }));
      await tasks().writeBatch({ deadLetters: letters });
      const first = await tasks().listDeadLetters();
      expect(first).toHaveLength(100);
      expect(first[0]?.deadAt).toBe(104);
      expect(await tasks().listDeadLetters({ limit: 200 })).toHaveLength(105);
    });

    it('rejects a negative limit', async () => {
      await expect(tasks().listDeadLetters({ limit: -1 })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    });

    it('marks a letter replayed once, then CONFLICT; unknown ids are NOT_FOUND', async () => {
      const letter = makeDeadLetter();
      await tasks().writeBatch({ deadLetters: [letter] });
      await tasks().markDeadLetterReplayed(letter.id, 'task-new-1', 1_900_000_000_000);
      expect(await tasks().getDeadLetter(letter.id)).toStrictEqual({
        ...letter,
        replayedTaskId: 'task-new-1',
        replayedAt: 1_900_000_000_000,
      });
      await expect(tasks().markDeadLetterReplayed(letter.id, 'task-new-2', 1)).rejects.toMatchObject({
        code: 'CONFLICT',
        details: { id: letter.id, replayedTaskId: 'task-new-1' },
      });
      expect((await tasks().getDeadLetter(letter.id))?.replayedTaskId).toBe('task-new-1');
      await expect(tasks().markDeadLetterReplayed('no-such-letter', 'x', 1)).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    });

    it('lets exactly one of two racing replays win', async () => {
      const letter = makeDeadLetter();
      await tasks().writeBatch({ deadLetters: [letter] });
      const outcomes = await Promise.allSettled([
        tasks().markDeadLetterReplayed(letter.id, 'winner-a', 1),
        tasks().markDeadLetterReplayed(letter.id, 'winner-b', 2),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const lost = outcomes.find((o) => o.status === 'rejected');
      expect(lost?.reason).toMatchObject({ code: 'CONFLICT' });
      const stored = await tasks().getDeadLetter(letter.id);
      expect(['winner-a', 'winner-b']).toContain(stored?.replayedTaskId);
    });

    it('purges the given letters, or none for an empty list, and counts them', async () => {
      const [a, b, c] = [makeDeadLetter(), makeDeadLetter(), makeDeadLetter()];
      await tasks().writeBatch({ deadLetters: [a, b, c] });
      expect(await tasks().purgeDeadLetters([a.id, 'unknown', c.id])).toBe(2);
      expect(await tasks().purgeDeadLetters([])).toBe(0);
      const left = await tasks().listDeadLetters({ includeReplayed: true });
      expect(left.map((d) => d.id)).toEqual([b.id]);
    });

    it('purges all letters, replayed or not, when no ids are given', async () => {
      const letters = [
        makeDeadLetter(),
        makeDeadLetter({ replayedTaskId: 't', replayedAt: 1 }),
        makeDeadLetter(),
      ];
      await tasks().writeBatch({ deadLetters: letters });
      expect(await tasks().purgeDeadLetters()).toBe(3);
      expect(await tasks().listDeadLetters({ includeReplayed: true })).toEqual([]);
      expect(await tasks().purgeDeadLetters()).toBe(0);
    });
  });
}
