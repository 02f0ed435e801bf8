/**
 * Shallow copies for hot paths.
 * @remarks On Node 20's V8 an object literal that starts with a spread gives each object it makes
 * a hidden class of its own once the site is warm, when more properties follow the spread
 * (`{ ...source, extra }`), when the copy is written to afterwards, or when the source was itself
 * just made: a map, a descriptor array and, at the first `for…in`, an enum cache per object, and
 * megamorphic property access wherever the copies go (measured in bench/RESULTS.md, 2026-11-22).
 * (A plain `{ ...source }` of a long-lived object shares its source's hidden class, and is
 * faster than this.) A copy built key by key shares hidden classes with every other copy of the
 * same key order.
 */

/**
 * A shallow copy of `source`'s own enumerable string-keyed properties, in their order (symbol
 * keys, which a spread would copy, are left out). An own `__proto__` key, as `JSON.parse` makes,
 * is copied as a property, as a spread copies it, never set as the copy's prototype.
 */
export function copyRecord<T extends object>(source: T): T {
  const out: Record<string, unknown> = {};
  for (const key in source) {
    if (!Object.hasOwn(source, key)) continue;
    if (key === '__proto__') {
      Object.defineProperty(out, key, {
        value: source[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else out[key] = source[key];
  }
  return out as T;
}
