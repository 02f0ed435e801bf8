import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepFreeze, isSealed, sealJson } from '../../src/core/immutable.ts';

/** Every object reachable from `value`. */
function objects(value: unknown, seen = new Set<object>()): Set<object> {
  if (typeof value === 'object' && value !== null && !seen.has(value)) {
    seen.add(value);
    for (const child of Object.values(value)) objects(child, seen);
  }
  return seen;
}

/** Structural equality (===, so -0 equals 0) that, unlike JSON, tells NaN and undefined members apart. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b) && !Array.isArray(a)) {
    const plain = (p: unknown): boolean => p === Object.prototype || p === null;
    if (!plain(Object.getPrototypeOf(a)) || !plain(Object.getPrototypeOf(b))) return false;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length &&
    ka.every(
      (k, i) => k === kb[i] && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    )
  );
}

describe('sealJson', () => {
  it('seals exactly the values whose JSON round trip is themselves, and freezes everything it walks', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything({ withDate: true, withNullPrototype: true })), (v) => {
        let text: string | undefined;
        try {
          text = JSON.stringify(v);
        } catch {
          text = undefined; // bigint and the like
        }
        const roundTrips = text !== undefined && same(JSON.parse(text), v);
        const isObject = typeof v === 'object' && v !== null;
        expect(sealJson(v)).toBe(roundTrips);
        expect(isSealed(v)).toBe(roundTrips && isObject);
        for (const o of objects(v)) expect(Object.isFrozen(o)).toBe(true);
      }),
    );
  });

  it('refuses what JSON would change: Date, NaN, undefined members, class instances', () => {
    expect(sealJson({ at: new Date(0) })).toBe(false);
    expect(sealJson({ x: Number.NaN })).toBe(false);
    expect(sealJson({ x: -0 })).toBe(true);
    expect(sealJson({ x: undefined })).toBe(false);
    expect(sealJson([1, undefined])).toBe(false);
    expect(sealJson({ m: new Map() })).toBe(false);
    expect(sealJson({ n: 1n })).toBe(false);
    const ok = { a: [1, 'two', null, true, { b: 0.5 }] };
    expect(sealJson(ok)).toBe(true);
    expect(isSealed(ok)).toBe(true);
    expect(isSealed({ a: 1 })).toBe(false);
  });

  it('refuses arrays JSON would change and a toJSON, even a hidden one', () => {
    class List extends Array<number> {}
    expect(sealJson({ list: List.from([1, 2]) })).toBe(false);
    const named = Object.assign([1, 2], { extra: 3 });
    expect(sealJson({ named })).toBe(false);
    const hidden = { a: 1 };
    Object.defineProperty(hidden, 'toJSON', { value: () => 'X', enumerable: false });
    expect(sealJson(hidden)).toBe(false);
    expect(sealJson({ toJSON: () => 1 })).toBe(false);
    expect(sealJson({ toJSON: 1 })).toBe(true); // not a method: JSON keeps it as data
  });

  it('ends on a graph that keeps pointing back at itself, and on one with 2^40 paths', () => {
    const loop: Record<string, unknown> = {};
    loop['l'] = loop;
    loop['r'] = loop;
    let shared: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 40; i++) shared = { a: shared, b: shared }; // 2^40 paths
    // Without the walk's budget either would run for ever (the test's timeout would fail it).
    expect(sealJson(loop)).toBe(false);
    expect(sealJson(shared)).toBe(false);
  });

  it('ends on a cycle, freezing it, without sealing it', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a['self'] = { back: a };
    expect(sealJson(a)).toBe(false);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a['self'])).toBe(true);
  });
});

describe('deepFreeze', () => {
  it('freezes everything reachable, arrays and cycles included', () => {
    const a: Record<string, unknown> = { list: [{ x: 1 }], when: new Date(0) };
    a['self'] = a;
    expect(deepFreeze(a)).toBe(a);
    for (const o of objects(a)) expect(Object.isFrozen(o)).toBe(true);
  });
});
