/**
 * Deep freezing, and "sealed" JSON data: values frozen throughout whose JSON round trip is the
 * value itself, so whoever holds one may share it instead of copying it.
 */

/** Deeper than this is treated as not JSON (a cycle, or nesting no signal has). */
const MAX_DEPTH = 64;

const sealed = new WeakSet<object>();

/** Freezes `value` and everything reachable from it; returns it. Stops at objects already frozen. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    // Frozen before its children, so a cycle ends at the second visit.
    Object.freeze(value);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) deepFreeze(value[i]);
    } else {
      const record = value as Record<string, unknown>;
      for (const key in record) deepFreeze(record[key]);
    }
  }
  return value;
}

/**
 * Deep-freezes `value` in place and, when it is plain JSON data, seals it: see {@link isSealed}.
 * True when sealed.
 * @remarks Plain JSON data: strings, finite numbers, booleans, null, arrays of those and objects
 * whose prototype is `Object.prototype` or null with no `undefined` property — exactly the values
 * `JSON.parse(JSON.stringify(v))` gives back unchanged, -0 aside (it comes back as 0): a `Date`,
 * `NaN` or `undefined` member would come back as something else, so such a value is frozen but
 * not sealed.
 */
export function sealJson(value: unknown): boolean {
  // Only a frozen object can be sealed; isFrozen is far cheaper than a WeakSet lookup.
  if (typeof value === 'object' && value !== null && Object.isFrozen(value) && sealed.has(value)) return true;
  const json = freezeWalk(value, 0);
  if (json && typeof value === 'object' && value !== null) sealed.add(value);
  return json;
}

/**
 * True for an object sealed by {@link sealJson}: it can never change and equals its own JSON copy,
 * so a holder that would copy it (to keep callers from changing what it stores) may keep it as is.
 */
export function isSealed(value: unknown): value is object {
  return typeof value === 'object' && value !== null && Object.isFrozen(value) && sealed.has(value);
}

/** Freezes everything reachable from `value`; true when all of it is plain JSON data. */
function freezeWalk(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value); // -0 comes back as 0, which === -0
    case 'object':
      break;
    default:
      return false; // undefined, function, symbol, bigint
  }
  if (value === null) return true;
  if (depth >= MAX_DEPTH) return false;
  if (Object.isFrozen(value) && sealed.has(value)) return true;
  let json = true;
  if (Array.isArray(value)) {
    Object.freeze(value);
    for (let i = 0; i < value.length; i++) if (!freezeWalk(value[i], depth + 1)) json = false;
    return json;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    deepFreeze(value);
    return false;
  }
  Object.freeze(value);
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const child = record[key];
    if (child === undefined || !freezeWalk(child, depth + 1)) json = false;
  }
  return json;
}
