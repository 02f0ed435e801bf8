/**
 * Stress scenarios: historical crisis windows of the real S&P 500 data, and synthetic shocks
 * applied to a series (a gap down, a volatility burst).
 */
import { ValidationError } from '../../core/errors.ts';
import type { Bar } from '../market-data/bar.ts';

/** A window of history to replay. Dates are inclusive, UTC. */
export interface HistoricalWindow {
  readonly name: string;
  readonly description: string;
  readonly from: string;
  readonly to: string;
}

/** The crisis windows the S&P 500 data (2000-01-03 … 2020-04-17) covers. */
export const HISTORICAL_WINDOWS = {
  dotcom_2000_2002: {
    name: 'dotcom_2000_2002',
    description: 'the dot-com bust: S&P 500 from its 2000 high to the October 2002 low',
    from: '2000-01-01',
    to: '2002-12-31',
  },
  gfc_2007_2009: {
    name: 'gfc_2007_2009',
    description: 'the global financial crisis, October 2007 peak to the March 2009 low and back',
    from: '2007-01-01',
    to: '2009-12-31',
  },
  covid_2020: {
    name: 'covid_2020',
    description: 'the February–April 2020 crash and rebound',
    from: '2020-02-01',
    to: '2020-04-30',
  },
} as const satisfies Record<string, HistoricalWindow>;

/** One of the {@link HISTORICAL_WINDOWS} names. */
export type HistoricalWindowName = keyof typeof HISTORICAL_WINDOWS;

/** The synthetic shocks. */
export const SYNTHETIC_SHOCKS = ['gap_down_20', 'volatility_x3'] as const;
/** One of {@link SYNTHETIC_SHOCKS}. */
export type SyntheticShockName = (typeof SYNTHETIC_SHOCKS)[number];

/** Every stress scenario by name. */
export const STRESS_SCENARIOS = [
  ...(Object.keys(HISTORICAL_WINDOWS) as HistoricalWindowName[]),
  ...SYNTHETIC_SHOCKS,
] as const;
/** One of {@link STRESS_SCENARIOS}. */
export type StressScenarioName = HistoricalWindowName | SyntheticShockName;

function checkIndex(field: string, index: number, bars: readonly Bar[], min = 1): void {
  if (!Number.isInteger(index) || index < min || index >= bars.length) {
    throw new ValidationError(
      field,
      `must be a whole bar index in [${min}, ${bars.length - 1}] (got ${index})`,
    );
  }
}

/**
 * The series with every price from bar `atIndex` on multiplied by 1 + `gapFraction` (−0.2: the
 * market opens 20% below the previous close and stays on the lower level).
 * @remarks The bars before the gap are untouched and the returns after it are the original ones,
 * so the shock is exactly one gap; volumes are kept. Returns new bars; the input is not modified.
 * @throws ValidationError naming the argument for an index outside the series or a gap ≤ −100%.
 */
export function applyGapShock(bars: readonly Bar[], atIndex: number, gapFraction = -0.2): Bar[] {
  checkIndex('atIndex', atIndex, bars);
  if (!(gapFraction > -1) || !Number.isFinite(gapFraction)) {
    throw new ValidationError('gapFraction', `must be a finite number above -1 (got ${gapFraction})`);
  }
  const k = 1 + gapFraction;
  return bars.map((b, i) => (i < atIndex ? barWith(b, b.open, b.high, b.low, b.close) : scaled(b, k)));
}

/**
 * A copy of `b` with new prices, as one literal: bars made as `{ ...b, open }` would each get a
 * hidden class of their own, and every indicator reading them would slow down (see core/records.ts).
 */
function barWith(b: Bar, open: number, high: number, low: number, close: number): Bar {
  return { timestamp: b.timestamp, open, high, low, close, volume: b.volume };
}

/** `b` with every price times `k`. */
function scaled(b: Bar, k: number): Bar {
  return barWith(b, b.open * k, b.high * k, b.low * k, b.close * k);
}

/**
 * The series with bars [fromIndex, toIndex) made `factor` times as volatile: each bar's log return
 * close-to-close, and its open, high and low relative to the previous close, are scaled by
 * `factor` around the window's mean log return, and the bars after the window continue from the
 * new level with their original returns.
 * @remarks Scaling around the mean keeps the window's drift while multiplying the standard
 * deviation of its log returns by exactly `factor`. High and low are widened if needed so that
 * open and close stay inside them.
 * @throws ValidationError naming the argument for a bad window or factor.
 */
export function applyVolatilityShock(
  bars: readonly Bar[],
  fromIndex: number,
  toIndex: number,
  factor = 3,
): Bar[] {
  checkIndex('fromIndex', fromIndex, bars);
  if (!Number.isInteger(toIndex) || toIndex <= fromIndex || toIndex > bars.length) {
    throw new ValidationError(
      'toIndex',
      `must be a whole index in (${fromIndex}, ${bars.length}] (got ${toIndex})`,
    );
  }
  if (!(factor > 0) || !Number.isFinite(factor)) {
    throw new ValidationError('factor', `must be a finite number above 0 (got ${factor})`);
  }
  let mean = 0;
  for (let i = fromIndex; i < toIndex; i++) {
    mean += Math.log((bars[i] as Bar).close / (bars[i - 1] as Bar).close);
  }
  mean /= toIndex - fromIndex;
  const out: Bar[] = bars.slice(0, fromIndex).map((b) => barWith(b, b.open, b.high, b.low, b.close));
  const scale = (ratio: number): number => Math.exp(mean + factor * (Math.log(ratio) - mean));
  for (let i = fromIndex; i < bars.length; i++) {
    const b = bars[i] as Bar;
    const prevOld = (bars[i - 1] as Bar).close;
    const prevNew = (out[i - 1] as Bar).close;
    if (i >= toIndex) {
      const k = prevNew / prevOld;
      out.push(scaled(b, k));
      continue;
    }
    const open = prevNew * scale(b.open / prevOld);
    const close = prevNew * scale(b.close / prevOld);
    const high = Math.max(prevNew * scale(b.high / prevOld), open, close);
    const low = Math.min(prevNew * scale(b.low / prevOld), open, close);
    out.push(barWith(b, open, high, low, close));
  }
  return out;
}
