import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import type { ConclaveError } from '../../src/core/errors.ts';
import { SeededRandom } from '../../src/core/random.ts';
import {
  CircuitBreaker,
  PriorityQueue,
  RoutingTable,
  TokenBucketLimiter,
  backoffDelayMs,
  createBalancer,
  parseSubmitInput,
  submitInputSchema,
} from '../../src/dispatch/index.ts';

describe('PriorityQueue', () => {
  it('pops by priority, FIFO within a priority, for any push sequence', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 300 }), (priorities) => {
        const q = new PriorityQueue<{ p: number; seq: number }>();
        priorities.forEach((p, seq) => q.push({ p, seq }, p));
        expect(q.size).toBe(priorities.length);
        const out: { p: number; seq: number }[] = [];
        for (let x = q.pop(); x !== undefined; x = q.pop()) out.push(x);
        const expected = priorities.map((p, seq) => ({ p, seq })).sort((a, b) => b.p - a.p || a.seq - b.seq);
        expect(out).toEqual(expected);
      }),
    );
  });

  it('peeks without removing and removes by predicate', () => {
    const q = new PriorityQueue<string>();
    q.push('a', 1);
    q.push('b', 5);
    q.push('c', 3);
    expect(q.peek()).toBe('b');
    expect(q.topPriority()).toBe(5);
    expect(q.removeWhere((x) => x === 'c')).toEqual(['c']);
    expect(q.size).toBe(2);
    expect([...q]).toEqual(['b', 'a']);
    expect(() => q.push('z', 0)).toThrow(RangeError);
  });
});

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures and lets one trial through after the reset timeout', async () => {
    const clock = new ManualClock();
    const seen: string[] = [];
    const b = new CircuitBreaker({ failureThreshold: 3, resetTimeoutMs: 1000 }, clock, (t) =>
      seen.push(t.to),
    );
    b.recordFailure();
    b.recordFailure();
    b.recordSuccess(); // resets the run
    b.recordFailure();
    b.recordFailure();
    expect(b.state).toBe('closed');
    b.recordFailure();
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    expect(b.retryInMs).toBe(1000);
    await clock.advance(999);
    expect(b.state).toBe('open');
    await clock.advance(1);
    expect(b.state).toBe('half_open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false); // only one trial
    b.recordFailure();
    expect(b.state).toBe('open');
    await clock.advance(1000);
    expect(b.tryAcquire()).toBe(true);
    b.recordSuccess();
    expect(b.state).toBe('closed');
    expect(seen).toEqual(['open', 'half_open', 'open', 'half_open', 'closed']);
    expect(b.snapshot()).toEqual({
      state: 'closed',
      consecutiveFailures: 0,
      openedAt: null,
      trialInFlight: false,
    });
  });
});

describe('TokenBucketLimiter', () => {
  it('grants the burst, then refills at the configured rate', async () => {
    const clock = new ManualClock();
    const l = new TokenBucketLimiter({ ratePerMinute: 120, burst: 3 }, clock);
    expect([l.tryAcquire('k'), l.tryAcquire('k'), l.tryAcquire('k')]).toEqual([0, 0, 0]);
    expect(l.tryAcquire('k')).toBe(500); // 2 tokens/s
    await clock.advance(499);
    expect(l.tryAcquire('k')).toBeGreaterThan(0);
    await clock.advance(1);
    expect(l.tryAcquire('k')).toBe(0);
    expect(l.tryAcquire('other')).toBe(0); // separate bucket
    l.setLimit('slow', { ratePerMinute: 1, burst: 1 });
    expect(l.tryAcquire('slow')).toBe(0);
    expect(l.tryAcquire('slow')).toBe(60_000);
  });
});

describe('backoffDelayMs', () => {
  it('doubles from the base delay up to the cap, jitter within bounds', () => {
    const opts = { baseDelayMs: 1000, multiplier: 2, maxDelayMs: 5000, jitter: 0 };
    const r = new SeededRandom(1);
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, opts, r))).toEqual([1000, 2000, 4000, 5000]);
    const jittered = Array.from({ length: 200 }, () => backoffDelayMs(2, { ...opts, jitter: 0.25 }, r));
    expect(Math.min(...jittered)).toBeGreaterThanOrEqual(1500);
    expect(Math.max(...jittered)).toBeLessThanOrEqual(2500);
    expect(new Set(jittered).size).toBeGreaterThan(50);
  });
});

describe('balancers', () => {
  const agents = (inFlight: number[], weights = inFlight.map(() => 1)) =>
    inFlight.map((n, i) => ({ name: `a${i}`, inFlight: n, weight: weights[i]! }));

  it('round robin skips ineligible agents and keeps rotating', () => {
    const b = createBalancer('round_robin');
    const list = agents([0, 0, 0]);
    const picks = Array.from({ length: 6 }, () => b.pick('k', list, (c) => c.name !== 'a1')?.name);
    expect(picks).toEqual(['a0', 'a2', 'a0', 'a2', 'a0', 'a2']);
    expect(b.pick('k', list, () => false)).toBeUndefined();
  });

  it('least connections picks the least loaded', () => {
    const b = createBalancer('least_connections');
    expect(b.pick('k', agents([5, 2, 9]), () => true)?.name).toBe('a1');
  });

  it('weighted picks in proportion to weight, interleaved', () => {
    const b = createBalancer('weighted');
    const list = agents([0, 0, 0], [5, 1, 1]);
    const picks = Array.from({ length: 7 }, () => b.pick('k', list, () => true)!.name);
    expect(picks.filter((p) => p === 'a0')).toHaveLength(5);
    expect(picks.slice(0, 3)).not.toEqual(['a0', 'a0', 'a0']); // smooth, not bursty
  });
});

describe('RoutingTable', () => {
  it('routes by rule, falls back to a served capability, and names unknown patterns', () => {
    const t = new RoutingTable([
      { pattern: 'upload_pdf', target_agent: 'content_ingestion_agent', timeout: 300, priority: 2 },
      { pattern: 'assess_risk', capability: 'risk.assess' },
    ]);
    expect(t.resolve('upload_pdf', () => false)).toMatchObject({
      kind: 'agent',
      target: 'content_ingestion_agent',
      timeoutMs: 300_000,
      priority: 2,
    });
    expect(t.resolve('assess_risk', () => false)).toMatchObject({
      kind: 'capability',
      target: 'risk.assess',
      capability: 'risk.assess',
    });
    expect(t.resolve('momentum.analyze', (c) => c === 'momentum.analyze').kind).toBe('capability');
    try {
      t.resolve('xyz', () => false);
      expect.unreachable();
    } catch (err) {
      expect((err as ConclaveError).code).toBe('UNKNOWN_PATTERN');
      expect((err as ConclaveError).message).toContain("'xyz'");
      expect((err as ConclaveError).message).toContain('upload_pdf');
    }
    expect(() => t.add({ pattern: 'upload_pdf', capability: 'x' })).toThrow(/defined twice/);
  });
});

describe('parseSubmitInput', () => {
  const value = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.integer({ min: -3, max: 30 }),
    fc.double({ noNaN: false }),
    fc.constantFrom(0, 1, 5, 6, 1.5, 86_400_000, 86_400_001, Infinity, NaN),
    fc.string({ maxLength: 4 }),
    fc.constantFrom('', 'x'.repeat(200), 'x'.repeat(201), 'http://agent.local/x', 'ftp://x'),
    fc.constant({}),
    fc.constant([]),
    fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
  );
  // Each field valid most of the time, so that fully valid submissions (the fast path) are common.
  const mostly = <T>(valid: fc.Arbitrary<T>) =>
    fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: value, weight: 1 });
  const input = fc.record(
    {
      pattern: mostly(fc.string({ minLength: 1, maxLength: 10 })),
      payload: mostly(fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 })),
      priority: mostly(fc.integer({ min: 1, max: 5 })),
      timeoutMs: mostly(fc.integer({ min: 1, max: 86_400_000 })),
      metadata: mostly(fc.constant({})),
      corrId: mostly(fc.string({ minLength: 1, maxLength: 8 })),
      callbackUrl: mostly(fc.constantFrom(undefined, 'http://agent.local/cb')),
      maxRetries: mostly(fc.integer({ min: 0, max: 20 })),
      extra: value,
    },
    { requiredKeys: ['pattern', 'payload'] },
  );
  it('accepts exactly what the zod schema accepts, with the same values', () => {
    fc.assert(
      fc.property(input, (raw) => {
        const viaZod = submitInputSchema.safeParse(raw);
        let parsed: unknown;
        let failure: unknown;
        try {
          parsed = parseSubmitInput(raw);
        } catch (err) {
          failure = err;
        }
        expect(failure === undefined).toBe(viaZod.success);
        if (viaZod.success) expect(parsed).toEqual(viaZod.data);
        else expect((failure as ConclaveError).code).toBe('VALIDATION_FAILED');
      }),
      { numRuns: 3000 },
    );
  });
});
