import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FailureWindow } from '../../src/agents/failure-window.ts';

describe('FailureWindow', () => {
  it('counts failures younger than the window and forgets older ones', () => {
    const w = new FailureWindow(5, 1_000);
    expect(w.add(0)).toBe(1);
    expect(w.add(500)).toBe(2);
    expect(w.count(999)).toBe(2);
    expect(w.count(1_000)).toBe(1); // the failure at 0 is exactly windowMs old: gone
    expect(w.count(1_500)).toBe(0);
  });

  it('never holds more than its capacity', () => {
    const w = new FailureWindow(3, 10_000);
    for (let t = 0; t < 10; t++) w.add(t);
    expect(w.count(10)).toBe(3);
    w.clear();
    expect(w.count(10)).toBe(0);
  });

  it('agrees with a naive model on any non-decreasing sequence of events', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 100 }),
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 60 }), add: fc.boolean() }), { maxLength: 80 }),
        (capacity, windowMs, steps) => {
          const w = new FailureWindow(capacity, windowMs);
          const all: number[] = [];
          let now = 0;
          for (const { dt, add } of steps) {
            now += dt;
            if (add) all.push(now);
            const got = add ? w.add(now) : w.count(now);
            const expected = Math.min(capacity, all.filter((t) => now - t < windowMs).length);
            if (got !== expected) return false;
          }
          return true;
        },
      ),
    );
  });
});
