/**
 * The data validation agent's core: checks a series bar by bar and across bars, and reports every
 * problem with its row. It never repairs anything.
 */
import { ValidationError } from '../../core/errors.ts';
import type { Bar, BarInterval } from './bar.ts';
import { INTERVAL_MS } from './source.ts';

/** Why a row was rejected. */
export const REJECTION_REASONS = [
  'nan',
  'non_positive_price',
  'negative_volume',
  'high_below_low',
  'ohlc_outside_range',
  'out_of_order',
  'duplicate_timestamp',
  'gap',
] as const;
/** One of {@link REJECTION_REASONS}. */
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** A row as received: fields may be anything (a JSON `null`, a string, `NaN`). */
export type BarCandidate = { readonly [K in keyof Bar]: unknown };

/** One problem with one row; a row with several problems has several rejections. */
export interface BarRejection {
  /** The row's 0-based index in the series. */
  readonly index: number;
  readonly timestamp: unknown;
  readonly reason: RejectionReason;
  readonly message: string;
  readonly row: BarCandidate;
}

/** The verdict on a series. `valid` holds the bars only when there is no rejection at all. */
export interface BarValidation {
  readonly status: 'clean' | 'rejected';
  readonly valid: readonly Bar[] | undefined;
  readonly rejections: readonly BarRejection[];
  readonly checkedRows: number;
}

/** Options for {@link validateBars}. */
export interface ValidateBarsOptions {
  /** Daily bars: the most calendar days allowed between consecutive bars. Default 5 (a weekend plus a holiday or two). */
  maxGapDays?: number;
  /** Other intervals: the most consecutive bars allowed to be missing. Default 1. */
  maxMissingIntervals?: number;
}

/** The series to check: its interval and its rows. */
export interface BarsToValidate {
  readonly symbol?: string;
  readonly interval: BarInterval;
  readonly bars: readonly BarCandidate[];
}

const PRICES = ['open', 'high', 'low', 'close'] as const;
const DAY_MS = 86_400_000;
/** A calendar month can be 31 days; this is the longest step between monthly bars that misses none. */
const MONTH_MAX_MS = 31 * DAY_MS;

/**
 * Checks every row: finite numbers (`nan`), prices above zero, volume not negative, high ≥ low,
 * open and close within [low, high], strictly increasing timestamps (`out_of_order`,
 * `duplicate_timestamp`) and no gap longer than the options allow.
 * @remarks A series with any rejection is rejected whole and `valid` is undefined: the agent
 * downstream must see the problem, not a quietly patched series. Gaps are measured between
 * consecutive in-order bars; intraday gaps are checked only within one UTC day, since the
 * overnight and weekend closes are not missing data.
 */
export function validateBars(series: BarsToValidate, options: ValidateBarsOptions = {}): BarValidation {
  const maxGapDays = options.maxGapDays ?? 5;
  const maxMissing = options.maxMissingIntervals ?? 1;
  if (!(maxGapDays > 0))
    throw new ValidationError('options.maxGapDays', `${maxGapDays} must be greater than 0`);
  if (!(maxMissing >= 0))
    throw new ValidationError('options.maxMissingIntervals', `${maxMissing} must be 0 or more`);
  const maxStepMs = maxStep(series.interval, maxGapDays, maxMissing);
  const rejections: BarRejection[] = [];
  const seen = new Set<number>();
  let latest: number | undefined;
  series.bars.forEach((row, index) => {
    const reject = (reason: RejectionReason, message: string): void => {
      rejections.push({ index, timestamp: row.timestamp, reason, message, row });
    };
    checkValues(row, reject);
    const t = row.timestamp;
    if (typeof t !== 'number' || !Number.isFinite(t)) return;
    if (seen.has(t))
      reject('duplicate_timestamp', `timestamp ${iso(t)} already appeared earlier in the series`);
    else if (latest !== undefined && t < latest)
      reject('out_of_order', `timestamp ${iso(t)} comes after ${iso(latest)}`);
    else if (
      latest !== undefined &&
      t - latest > maxStepMs &&
      !(isIntraday(series.interval) && !sameUtcDay(t, latest))
    ) {
      reject(
        'gap',
        `${describeStep(t - latest)} since the previous bar at ${iso(latest)} (at most ${describeStep(maxStepMs)} allowed)`,
      );
    }
    seen.add(t);
    if (latest === undefined || t > latest) latest = t;
  });
  const clean = rejections.length === 0;
  return {
    status: clean ? 'clean' : 'rejected',
    valid: clean ? (series.bars as readonly Bar[]) : undefined,
    rejections,
    checkedRows: series.bars.length,
  };
}

/** The row's own checks, each failing check reported once. */
function checkValues(row: BarCandidate, reject: (reason: RejectionReason, message: string) => void): void {
  const bad = (['timestamp', ...PRICES, 'volume'] as const).filter((f) => !isFiniteNumber(row[f]));
  if (bad.length > 0)
    reject('nan', `${bad.map((f) => `${f}=${String(row[f])}`).join(', ')} not a finite number`);
  const prices = PRICES.filter((f) => isFiniteNumber(row[f]));
  const nonPositive = prices.filter((f) => (row[f] as number) <= 0);
  if (nonPositive.length > 0) {
    reject(
      'non_positive_price',
      `${nonPositive.map((f) => `${f}=${String(row[f])}`).join(', ')} must be greater than 0`,
    );
  }
  if (isFiniteNumber(row.volume) && row.volume < 0)
    reject('negative_volume', `volume=${row.volume} must be 0 or more`);
  const { open, high, low, close } = row;
  if (!isFiniteNumber(high) || !isFiniteNumber(low)) return;
  if (high < low) {
    reject('high_below_low', `high=${high} is below low=${low}`);
    return;
  }
  const outside = (['open', 'close'] as const).filter((f) => {
    const v = f === 'open' ? open : close;
    return isFiniteNumber(v) && (v < low || v > high);
  });
  if (outside.length > 0) {
    reject(
      'ohlc_outside_range',
      `${outside.map((f) => `${f}=${String(row[f])}`).join(', ')} outside [low=${low}, high=${high}]`,
    );
  }
}

function maxStep(interval: BarInterval, maxGapDays: number, maxMissing: number): number {
  if (interval === '1d') return maxGapDays * DAY_MS;
  if (interval === '1mo') return (maxMissing + 1) * MONTH_MAX_MS;
  return (maxMissing + 1) * INTERVAL_MS[interval];
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isIntraday = (interval: BarInterval): boolean =>
  interval !== '1d' && interval !== '1wk' && interval !== '1mo';
const sameUtcDay = (a: number, b: number): boolean => Math.floor(a / DAY_MS) === Math.floor(b / DAY_MS);
const iso = (t: number): string => new Date(t).toISOString();

function describeStep(ms: number): string {
  return ms % DAY_MS === 0 ? `${ms / DAY_MS} days` : `${Math.round(ms / 60_000)} minutes`;
}
