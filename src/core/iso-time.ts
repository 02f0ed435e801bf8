/** Epoch milliseconds as ISO 8601 text, for hot paths that format the same instant many times. */

let lastMs = Number.NaN;
let lastIso = '';

/**
 * `new Date(ms).toISOString()`, remembering the last answer: a decision's timestamps and a bar's
 * analyses across a hundred symbols share one instant, and formatting a date is not cheap.
 * @throws RangeError for a time outside the Date range (as toISOString does).
 */
export function isoTime(ms: number): string {
  if (ms === lastMs) return lastIso;
  const iso = new Date(ms).toISOString();
  lastMs = ms;
  lastIso = iso;
  return iso;
}
