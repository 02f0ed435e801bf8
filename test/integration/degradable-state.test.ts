import { describe, expect, it } from 'vitest';
import { ConclaveError } from '../../src/core/errors.ts';
import { MemoryState, type SharedState } from '../../src/state/index.ts';
import { DegradableState } from '../../src/wiring/degradable-state.ts';
import { pause } from './support.ts';

/** A memory state whose every operation fails like an unreachable Redis while `down` is set. */
function flakyPrimary(): { state: SharedState; setDown(down: boolean): void; calls(): number } {
  const inner = new MemoryState();
  let down = true;
  let calls = 0;
  const state = new Proxy(inner, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (prop === 'close') return (value as () => Promise<void>).bind(target);
      return (...args: unknown[]) => {
        calls++;
        if (down) return Promise.reject(new ConclaveError('STORE_ERROR', 'connect ECONNREFUSED'));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { state, setDown: (d) => void (down = d), calls: () => calls };
}

describe('DegradableState', () => {
  it('opens its breaker after the threshold, serves from memory meanwhile, and recovers when the primary is back', async () => {
    const primary = flakyPrimary();
    const changes: (string | undefined)[] = [];
    const state = new DegradableState({
      primary: primary.state,
      local: new MemoryState(),
      fallback: 'memory',
      breakerThreshold: 2,
      breakerResetMs: 50,
      onChange: (reason) => changes.push(reason),
    });
    expect(await state.remember('a', 10_000)).toBe(true); // primary failed: answered from memory
    expect(await state.remember('a', 10_000)).toBe(false);
    expect(changes).toEqual(['connect ECONNREFUSED']);
    const before = primary.calls();
    await state.remember('b', 10_000);
    expect(primary.calls()).toBe(before); // open: the primary is not even tried
    expect(state.health()).toMatchObject({ degraded: true, fallback: 'memory' });
    primary.setDown(false);
    await pause(60);
    expect(await state.remember('c', 10_000)).toBe(true); // half-open trial succeeds
    expect(changes).toEqual(['connect ECONNREFUSED', undefined]);
    expect(state.health().degraded).toBe(false);
    await state.close();
  });

  it('passes validation errors through without counting them against the breaker', async () => {
    const primary = flakyPrimary();
    primary.setDown(false);
    const changes: (string | undefined)[] = [];
    const state = new DegradableState({
      primary: primary.state,
      local: new MemoryState(),
      fallback: 'memory',
      breakerThreshold: 1,
      breakerResetMs: 1_000,
      onChange: (r) => changes.push(r),
    });
    await expect(state.remember('', 1_000)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(changes).toEqual([]);
    await state.close();
  });
});
