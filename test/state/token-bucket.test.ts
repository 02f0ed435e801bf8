import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { takeFromBucket } from '../../src/state/index.ts';
import type { BucketState } from '../../src/state/index.ts';

describe('takeFromBucket', () => {
  it('starts full and refills at the rate, capped at the burst', () => {
    const first = takeFromBucket(undefined, 0, 60, 2, 2); // one token per second
    expect(first).toEqual({ state: { tokens: 0, at: 0 }, waitMs: 0, fullInMs: 2_000 });
    expect(takeFromBucket(first.state, 500, 60, 2, 1).waitMs).toBe(500);
    expect(takeFromBucket(first.state, 60_000, 60, 2, 2).waitMs).toBe(0);
    expect(takeFromBucket(first.state, 60_000, 60, 2, 2).state.tokens).toBe(0);
  });

  it('never grants more than the burst plus what the rate refilled, and its waits are honest', () => {
    const step = fc.record({ dt: fc.nat(5_000), cost: fc.integer({ min: 1, max: 5 }) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), fc.array(step, { maxLength: 40 }), (rate, steps) => {
        const burst = 5;
        let state: BucketState | undefined;
        let now = 0;
        let granted = 0;
        for (const { dt, cost } of steps) {
          now += dt;
          const take = takeFromBucket(state, now, rate, burst, cost);
          if (take.waitMs === 0) granted += cost;
          else expect(takeFromBucket(state, now + take.waitMs, rate, burst, cost).waitMs).toBe(0);
          state = take.state;
        }
        expect(granted).toBeLessThanOrEqual(burst + (now * rate) / 60_000 + 1e-6);
      }),
      { numRuns: 500 },
    );
  });
});
