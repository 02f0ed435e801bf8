/**
 * The one interface every market data source implements, and the request it answers.
 */
import { z } from 'zod';
import { ValidationError } from '../../core/errors.ts';
import { BAR_INTERVALS } from './bar.ts';
import type { Bar, BarInterval } from './bar.ts';

/** A point in time: epoch milliseconds (UTC) or an ISO-8601 date / date-time string. */
export type TimeInput = number | string;

/** What a caller asks a source for. `from` and `to` are inclusive; a date-only `to` covers that whole day. */
export interface BarRequest {
  symbol: string;
  interval: BarInterval;
  from?: TimeInput;
  to?: TimeInput;
}

/** A {@link BarRequest} after validation: times resolved to epoch milliseconds. */
export interface ResolvedBarRequest {
  readonly symbol: string;
  readonly interval: BarInterval;
  readonly fromMs: number | undefined;
  readonly toMs: number | undefined;
}

/** Bars of one symbol at one interval, as one source delivered them. */
export interface BarSeries {
  readonly symbol: string;
  readonly interval: BarInterval;
  /** The name of the source that served the bars. */
  readonly source: string;
  /** In ascending timestamp order; the data validation agent checks that this holds. */
  readonly bars: readonly Bar[];
}

/**
 * A source of OHLCV bars: a file, a bundled data set, a generator or a market data vendor.
 * @remarks Sources map every failure to a `ConclaveError` so a fallback chain can decide by code:
 * `RATE_LIMITED`, `AGENT_UNAVAILABLE` and `TIMEOUT` are worth another source; `CONFIG_INVALID`
 * with `details.notConfigured` means the source lacks a key and was never asked.
 */
export interface MarketDataSource {
  /** A short, stable name (`polygon`, `yahoo`, `vega`, …) used in series and attempt reports. */
  readonly name: string;
  /** Fetches the bars for `request`; rejects with `CANCELLED` when `signal` aborts. */
  fetchBars(request: BarRequest, signal?: AbortSignal): Promise<BarSeries>;
  /** The symbols this source can serve, where it knows them. */
  listSymbols?(): Promise<readonly string[]>;
  /** Why the source cannot be asked at all (e.g. a missing API key), or undefined when it can. */
  configurationProblem?(): string | undefined;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

const timeInput = z.union([
  z.number().int({ error: 'must be integer epoch milliseconds' }).nonnegative({ error: 'must be 0 or more' }),
  z.string().refine((s) => !Number.isNaN(Date.parse(s)), { error: 'must be an ISO-8601 date or date-time' }),
]);

/** The zod schema of a {@link BarRequest}. */
export const barRequestSchema = z.object({
  symbol: z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(32, { error: 'must be at most 32 characters' }),
  interval: z.enum(BAR_INTERVALS, { error: `must be one of ${BAR_INTERVALS.join(', ')}` }),
  from: timeInput.optional(),
  to: timeInput.optional(),
});

/**
 * Validates a request and resolves its times to epoch milliseconds.
 * @throws ValidationError naming the field (`request.interval`, `request.from`, …).
 */
export function resolveBarRequest(request: BarRequest): ResolvedBarRequest {
  const parsed = barRequestSchema.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ['request', ...(issue?.path ?? []).map(String)].join('.');
    throw new ValidationError(field, issue?.message ?? 'is invalid');
  }
  const { symbol, interval, from, to } = parsed.data;
  const fromMs = from === undefined ? undefined : toEpochMs(from, false);
  const toMs = to === undefined ? undefined : toEpochMs(to, true);
  if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) {
    throw new ValidationError(
      'request.from',
      `must not be after request.to (${String(from)} > ${String(to)})`,
    );
  }
  return { symbol, interval, fromMs, toMs };
}

/** Epoch ms of a time input; a date-only string as an end bound means the end of that day. */
function toEpochMs(value: TimeInput, endOfDay: boolean): number {
  if (typeof value === 'number') return value;
  const ms = Date.parse(ISO_DATE.test(value) ? `${value}T00:00:00Z` : value);
  return endOfDay && ISO_DATE.test(value) ? ms + DAY_MS - 1 : ms;
}

/** The series a source answers with: `bars` (ascending) cut to the request's range. */
export function seriesOf(
  request: ResolvedBarRequest,
  source: string,
  bars: readonly Bar[],
  symbol: string = request.symbol,
): BarSeries {
  return {
    symbol,
    interval: request.interval,
    source,
    bars: bars.filter((b) => inRange(request, b.timestamp)),
  };
}

/** True when `timestamp` lies within the request's inclusive range. */
export function inRange(request: ResolvedBarRequest, timestamp: number): boolean {
  return (
    (request.fromMs === undefined || timestamp >= request.fromMs) &&
    (request.toMs === undefined || timestamp <= request.toMs)
  );
}

/** The interval lengths in milliseconds (calendar approximations for weeks and months). */
export const INTERVAL_MS: Readonly<Record<BarInterval, number>> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '1d': DAY_MS,
  '1wk': 7 * DAY_MS,
  '1mo': 30 * DAY_MS,
};

/** True for daily and longer intervals, whose bars are stamped at 00:00 UTC of their date. */
export function isDateInterval(interval: BarInterval): boolean {
  return interval === '1d' || interval === '1wk' || interval === '1mo';
}

/**
 * Stamps a daily-or-longer bar at 00:00 UTC of its trading date.
 * @remarks Vendors stamp daily bars differently (Polygon at New York midnight, Yahoo at the
 * session open); one convention lets series from different sources line up in a fallback chain.
 * `utcOffsetSeconds` is the exchange's offset, so a session opening before UTC midnight keeps its date.
 */
export function toTradingDate(timestampMs: number, utcOffsetSeconds = 0): number {
  const local = timestampMs + utcOffsetSeconds * 1000;
  return Math.floor(local / DAY_MS) * DAY_MS;
}
