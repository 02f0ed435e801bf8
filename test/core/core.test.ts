import { describe, expect, it } from 'vitest';
import { ManualClock, sleep } from '../../src/core/clock.ts';
import {
  ConclaveError,
  HTTP_STATUS_BY_CODE,
  ERROR_CODES,
  ValidationError,
  toConclaveError,
} from '../../src/core/errors.ts';
import { newId } from '../../src/core/ids.ts';
import { SeededRandom } from '../../src/core/random.ts';

describe('errors', () => {
  it('maps every code to an HTTP status and knows what is retryable', () => {
    for (const code of ERROR_CODES) expect(HTTP_STATUS_BY_CODE[code]).toBeGreaterThanOrEqual(400);
    expect(new ConclaveError('TIMEOUT', 't').retryable).toBe(true);
    expect(new ConclaveError('VALIDATION_FAILED', 'v').retryable).toBe(false);
    expect(new ConclaveError('AGENT_ERROR', 'a', { retryable: false }).retryable).toBe(false);
    const v = new ValidationError('priority', 'must be 1–5 (got 0)');
    expect(v.message).toBe('priority: must be 1–5 (got 0)');
    expect(v.toJSON()).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'priority' } });
    expect(toConclaveError(new Error('x')).code).toBe('INTERNAL');
    expect(toConclaveError('plain', 'AGENT_ERROR').code).toBe('AGENT_ERROR');
  });
});

describe('ids', () => {
  it('are unique, time-ordered UUIDv7 strings', () => {
    const a = newId(undefined, 1_700_000_000_000);
    const b = newId(undefined, 1_700_000_000_001);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
    expect(new Set(Array.from({ length: 10_000 }, () => newId())).size).toBe(10_000);
    expect(newId('dlq')).toMatch(/^dlq_[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // A prefix that cannot be written as ASCII still works, and ids outlive later ones' assembly.
    const odd = newId('ordre-é');
    expect(odd).toMatch(/^ordre-é_[0-9a-f]{8}-/);
    const kept = newId('x', 1_700_000_000_000);
    newId('another-prefix', 1_800_000_000_000);
    expect(kept.startsWith('x_018bcfe5-6800-7')).toBe(true);
  });

  it('spread their random digits evenly', () => {
    const counts = new Map<string, number>();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      for (const ch of newId().slice(15).replaceAll('-', '')) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    // 18 free hex digits per id (the variant digit is one of four): each of the 16 appears near 1/16.
    const free = n * 18;
    for (const ch of '0123456789abcdef') {
      const c = counts.get(ch) ?? 0;
      expect(c / free).toBeGreaterThan(0.055);
      expect(c / free).toBeLessThan(0.085);
    }
  });
});

describe('ManualClock', () => {
  it('fires timers in time order only when advanced, and sleep honours abort', async () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(2), 20);
    clock.setTimeout(() => fired.push(1), 10);
    const cancelled = clock.setTimeout(() => fired.push(99), 15);
    clock.clearTimeout(cancelled);
    await clock.advance(15);
    expect(fired).toEqual([1]);
    await clock.advance(5);
    expect(fired).toEqual([1, 2]);
    expect(clock.now()).toBe(20);
    const ac = new AbortController();
    const p = sleep(clock, 1000, ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

describe('SeededRandom', () => {
  it('repeats its sequence for a seed', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
