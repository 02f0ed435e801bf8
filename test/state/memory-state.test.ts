import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { sealJson } from '../../src/core/immutable.ts';
import { MemoryState } from '../../src/state/index.ts';
import type { JoinPolicy } from '../../src/state/index.ts';
import { stateContract } from './state-contract.ts';

stateContract('MemoryState', () => {
  const clock = new ManualClock();
  return Promise.resolve({ state: new MemoryState({ clock }), clock });
});

const policy: JoinPolicy = { required: ['momentum', 'risk'], minAgents: 2, ttlMs: 1_000 };

describe('MemoryState', () => {
  it('frees every expired entry on sweep(), keeping only fences and breakers', async () => {
    const clock = new ManualClock();
    const state = new MemoryState({ clock, decidedRetentionMs: 5_000 });
    for (let i = 0; i < 50; i++) {
      await state.joinSignal(`c${i}`, 'momentum', i, policy);
      if (i % 2 === 0) await state.joinSignal(`c${i}`, 'risk', i, policy);
      await state.remember(`k${i}`, 1_000);
      await state.acquireLock(`l${i}`, 1_000);
      await state.takeTokens(`b${i}`, { ratePerMinute: 60, burst: 1 });
    }
    await state.casBreaker('br', 0, { state: 'open', consecutiveFailures: 3, openedAt: clock.now() });
    expect(state.stats).toMatchObject({ correlations: 50, idempotencyKeys: 50, locks: 50, buckets: 50 });

    await clock.advance(1_000);
    expect(state.sweep()).toBe(25 + 50 + 50 + 50);
    // The 25 decided correlations stay remembered (without signals) until the retention ends.
    expect(state.stats).toMatchObject({
      correlations: 25,
      idempotencyKeys: 0,
      locks: 0,
      buckets: 0,
      breakers: 1,
    });
    expect((await state.getCorrelation('c0'))?.status).toBe('expired');

    await clock.advance(4_000);
    expect(state.sweep()).toBe(25);
    expect(state.stats).toEqual({
      correlations: 0,
      idempotencyKeys: 0,
      locks: 0,
      buckets: 0,
      breakers: 1,
      queuedChecks: 0,
    });
    expect((await state.acquireLock('l0', 1_000))?.token).toBe(2);
  });

  it('sweeps a little on every operation, so memory drains without sweep()', async () => {
    const clock = new ManualClock();
    const state = new MemoryState({ clock });
    for (let i = 0; i < 100; i++) await state.remember(`k${i}`, 1_000);
    await clock.advance(1_000);
    expect(state.stats.idempotencyKeys).toBe(100);
    for (let i = 0; i < 4; i++) await state.ping();
    expect(state.stats.idempotencyKeys).toBe(0);
  });

  it('queues at most one check per key however often it is touched', async () => {
    const clock = new ManualClock();
    const state = new MemoryState({ clock });
    const grant = await state.acquireLock('l', 1_000);
    for (let i = 0; i < 100; i++) {
      await state.extendLock('l', grant!.token, 1_000);
      await state.takeTokens('b', { ratePerMinute: 60_000, burst: 10 });
      await clock.advance(10);
    }
    expect(state.stats.queuedChecks).toBe(2);
    await clock.advance(1_000);
    expect(state.sweep()).toBe(2);
    expect(state.stats.queuedChecks).toBe(0);
  });

  it('forgets a decided correlation after the retention window, so the id can start over', async () => {
    const clock = new ManualClock();
    const state = new MemoryState({ clock, decidedRetentionMs: 2_000 });
    await state.joinSignal('c', 'momentum', 1, policy);
    expect((await state.joinSignal('c', 'risk', 2, policy)).claimed).toBe(true);
    await clock.advance(1_999);
    expect((await state.joinSignal('c', 'momentum', 1, policy)).outcome).toBe('late');
    await clock.advance(1);
    expect(await state.getCorrelation('c')).toBeUndefined();
    expect((await state.joinSignal('c', 'momentum', 1, policy)).outcome).toBe('stored');
  });

  it('stores an agent named __proto__ as data', async () => {
    const state = new MemoryState({ clock: new ManualClock() });
    await state.joinSignal('c', '__proto__', { x: 1 }, policy);
    const snap = await state.getCorrelation('c');
    expect(Object.keys(snap!.signals)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(snap!.signals)).toBe(Object.prototype);
  });

  it('keeps a sealed signal as it is and copies any other', async () => {
    const state = new MemoryState({ clock: new ManualClock() });
    const sealed = { analysis: { confidence: 0.9 } };
    expect(sealJson(sealed)).toBe(true);
    const plain = { analysis: { risk_level: 'low' } };
    await state.joinSignal('c', 'momentum', sealed, policy);
    const joined = await state.joinSignal('c', 'risk', plain, policy);
    expect(joined.claimed).toBe(true);
    expect(joined.signals!['momentum']).toBe(sealed);
    expect(joined.signals!['risk']).not.toBe(plain);
    expect(joined.signals!['risk']).toEqual(plain);
    plain.analysis.risk_level = 'high'; // the caller's object changes; what was stored does not
    expect((await state.getCorrelation('c'))!.signals['risk']).toEqual({ analysis: { risk_level: 'low' } });
  });

  it('runs on the system clock by default and rejects a bad retention', async () => {
    const state = new MemoryState();
    expect(await state.remember('k', 60_000)).toBe(true);
    expect(await state.remember('k', 60_000)).toBe(false);
    expect(() => new MemoryState({ decidedRetentionMs: 0 })).toThrow(/decidedRetentionMs/);
  });
});
