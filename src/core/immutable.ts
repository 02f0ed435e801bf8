/**
 * Deep freezing, and "sealed" JSON data: values frozen throughout whose JSON round trip is the
 * value itself, so whoever holds one may share it instead of copying it.
 */

/** Deeper than this is treated as not JSON (a cycle, or nesting no signal has). */
const MAX_DEPTH = 64;
/**
 * Most values one seal walks. A shared sub-object is walked once per path to it, so a graph that
 * keeps pointing back at itself would take exponential time: past this many values the walk stops
 * and the value counts as not JSON (frozen as far as walked; JSON encoding then refuses a cycle).
 */
const MAX_VALUES = 10_000;
let budget = 0;

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
 * @remarks Plain JSON data: strings, finite numbers, booleans, null, plain arrays of those and
 * objects whose prototype is `Object.prototype` or null with no `undefined` property and no
 * `toJSON` method — the values `JSON.parse(JSON.stringify(v))` gives back unchanged, -0 aside (it comes
 * back as 0): a `Date`, `NaN` or `undefined` member would come back as something else, so such a
 * value is frozen but not sealed. Data properties only: accessor properties are not looked for
 * (that would cost a descriptor per property), so an object with getters must not be sealed;
 * symbol-keyed properties are ignored, as JSON ignores them. A value past {@link MAX_VALUES}
 * values (a cyclic or pathologically shared graph) is not sealed.
 */
export function sealJson(value: unknown): boolean {
  // Only a frozen object can be sealed; isFrozen is far cheaper than a WeakSet lookup.
  if (typeof value === 'object' && value !== null && Object.isFrozen(value) && sealed.has(value)) return true;
  budget = MAX_VALUES;
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
  if (depth >= MAX_DEPTH || --budget < 0) return false;
  if (Object.isFrozen(value) && sealed.has(value)) return true;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (Array.isArray(value)) {
    Object.freeze(value);
    // A subclass, or named properties beside the elements, would not survive JSON.
    let json = proto === Array.prototype && Object.keys(value).length === value.length;
    for (let i = 0; i < value.length; i++) if (!freezeWalk(value[i], depth + 1)) json = false;
    return json;
  }
  if (proto !== Object.prototype && proto !== null) {
    deepFreeze(value);
    return false;
  }
  Object.freeze(value);
  const record = value as Record<string, unknown>;
  // A toJSON method (even a non-enumerable one) would make the JSON text something else.
  let json = typeof record['toJSON'] !== 'function';
  for (const key in record) {
    const child = record[key];
    if (child === undefined || !freezeWalk(child, depth + 1)) json = false;
  }
  return json;
}
