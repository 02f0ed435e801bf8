import { describe, expect, it } from 'vitest';
import { copyRecord } from '../../src/core/records.ts';

describe('copyRecord', () => {
  it('copies own enumerable properties, in order, into a new object', () => {
    const source = { b: 1, a: { nested: true }, c: null };
    const copy = copyRecord(source);
    expect(copy).not.toBe(source);
    expect(copy).toEqual(source);
    expect(Object.keys(copy)).toEqual(['b', 'a', 'c']);
    expect(copy.a).toBe(source.a); // shallow
  });

  it('leaves out inherited and non-enumerable properties', () => {
    const source = Object.create({ inherited: 1 }) as Record<string, unknown>;
    source['own'] = 2;
    Object.defineProperty(source, 'hidden', { value: 3, enumerable: false });
    expect(copyRecord(source)).toEqual({ own: 2 });
  });

  it('gives a copy that can change without touching the source', () => {
    const source = Object.freeze({ x: 1 });
    const copy = copyRecord(source) as { x: number };
    copy.x = 2;
    expect(source.x).toBe(1);
    expect(Object.isFrozen(copy)).toBe(false);
  });
});

describe('copyRecord and __proto__', () => {
  it('copies an own __proto__ key (as JSON.parse makes) as a property, as a spread does', () => {
    const source = JSON.parse('{"__proto__":{"risk_level":"low"},"a":1}') as Record<string, unknown>;
    const copy = copyRecord(source);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    expect((copy as { risk_level?: string }).risk_level).toBeUndefined();
    expect(JSON.stringify(copy)).toBe(JSON.stringify({ ...source }));
  });
});
