import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExpiryQueue } from '../../src/state/expiry-queue.ts';

describe('ExpiryQueue', () => {
  it('pops every due check, earliest first, with its table and key, and nothing early', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1_000 }), fc.constantFrom('a', 'b')), { maxLength: 300 }),
        fc.integer({ min: 0, max: 1_000 }),
        (pushes, now) => {
          const queue = new ExpiryQueue<'a' | 'b'>();
          pushes.forEach(([at, table], i) => queue.push(at, table, `k${i}`));
          const popped: { at: number; table: string; key: string }[] = [];
          for (let e = queue.popDue(now); e !== undefined; e = queue.popDue(now)) popped.push(e);
          const due = pushes.filter(([at]) => at <= now);
          expect(popped).toHaveLength(due.length);
          expect(queue.size).toBe(pushes.length - due.length);
          for (let i = 1; i < popped.length; i++)
            expect(popped[i]!.at).toBeGreaterThanOrEqual(popped[i - 1]!.at);
          for (const e of popped) {
            const i = Number(e.key.slice(1));
            expect([e.at, e.table]).toEqual(pushes[i]);
          }
          const rest = queue.popDue(Number.POSITIVE_INFINITY);
          if (rest !== undefined) expect(rest.at).toBeGreaterThan(now);
        },
      ),
      { seed: 3 },
    );
  });
});
