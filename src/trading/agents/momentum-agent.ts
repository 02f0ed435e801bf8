/**
 * The momentum agent: trend direction, strength and confidence from EMA crossover, MACD, RSI and
 * rate of change, computed with the trading-signals library.
 */
import { ATR, EMA, type MACD, ROC, RSI } from 'trading-signals';
import { z } from 'zod';
import type { Bar } from '../market-data/bar.ts';
import { createMacd } from './indicators.ts';
import { parseParams } from './params.ts';
import { clamp, RollingWindow, signOf } from './stats.ts';
import { isoTime } from '../../core/iso-time.ts';

const bars = (min: number, max: number, fallback: number) =>
  z.number().int().min(min).max(max).default(fallback);

/**
 * Momentum parameters, every one optional with a default.
 * @remarks Periods are in bars. `strengthSaturation` is the volatility-normalised move (in units of
 * ATR-scaled standard moves) at which strength reaches 1, so strength means the same on a quiet
 * and on a wild instrument.
 */
export const momentumParamsSchema = z
  .object({
    fastBars: bars(2, 500, 12),
    slowBars: bars(3, 1000, 26),
    signalBars: bars(2, 200, 9),
    rsiBars: bars(2, 200, 14),
    rocBars: bars(1, 500, 10),
    atrBars: bars(2, 200, 14),
    persistenceBars: bars(1, 500, 20),
    lookbackBars: bars(10, 100_000, 250),
    directionThreshold: z.number().min(0).max(1).default(0.5),
    minStrength: z.number().min(0).max(1).default(0.15),
    strengthSaturation: z.number().gt(0).max(100).default(2),
  })
  .refine((p) => p.fastBars < p.slowBars, { path: ['slowBars'], error: 'must be greater than fastBars' });
/** Momentum parameters as given (all optional). */
export type MomentumParamsInput = z.input<typeof momentumParamsSchema>;
/** Validated, complete momentum parameters. */
export type MomentumParams = z.output<typeof momentumParamsSchema>;

/** Validates momentum parameters; throws ValidationError naming the parameter (`params.slowBars`). */
export function compileMomentumParams(input?: MomentumParamsInput): MomentumParams {
  return parseParams(momentumParamsSchema, input);
}

/** The indicator values a momentum call was made from (null while warming up). */
export interface MomentumIndicators {
  ema_fast: number | null;
  ema_slow: number | null;
  macd: number | null;
  macd_signal: number | null;
  macd_histogram: number | null;
  rsi: number | null;
  roc: number | null;
  atr: number | null;
}

/** The momentum agent's analysis; parses with the coordinator's `momentumAnalysisSchema`. */
export interface MomentumResult {
  [key: string]: unknown;
  trend_direction: 'up' | 'down' | 'neutral';
  momentum_strength: number;
  confidence: number;
  /** Weighted vote in [-1, 1]: +1 when every indicator says up. */
  score: number;
  /** Share of the last `persistenceBars` bars whose EMA spread agreed with the call, net, in [0, 1]. */
  persistence: number;
  /** False while the indicators are warming up (then the call is neutral with zero confidence). */
  ready: boolean;
  lookback_bars: number;
  as_of: string | null;
  indicators: MomentumIndicators;
}

const WEIGHTS = { ema: 0.35, roc: 0.35, histogram: 0.15, rsi: 0.15 } as const;

/**
 * Incremental momentum analysis: feed one bar at a time with {@link MomentumTracker.update}, read
 * the call with {@link MomentumTracker.analysis}. O(1) per bar apart from the library's ROC window.
 * @remarks The rules:
 * - direction: a weighted vote of EMA crossover (fast vs slow, 0.35), ROC sign (0.35), MACD
 *   histogram sign (0.15) and RSI above/below 50 (0.15); `up` when the vote ≥ `directionThreshold`
 *   and strength ≥ `minStrength`, `down` symmetrically, otherwise `neutral`.
 * - strength: the mean of |ROC| / (ATR% · √rocBars) and |MACD| / ATR, divided by
 *   `strengthSaturation` and clamped to [0, 1] — moves measured in the instrument's own volatility.
 * - confidence: 0.4 · |vote| + 0.3 · persistence + 0.3 · strength; halved for a neutral call, so a
 *   neutral call is never confident (confidence means confidence in a tradeable trend).
 */
export class MomentumTracker {
  readonly params: MomentumParams;
  readonly #fast: EMA;
  readonly #slow: EMA;
  readonly #macd: MACD;
  readonly #rsi: RSI;
  readonly #roc: ROC;
  readonly #atr: ATR;
  readonly #spreadSigns: RollingWindow;
  readonly #warmupBars: number;
  #count = 0;
  #lastTimestampMs: number | null = null;

  constructor(params?: MomentumParamsInput) {
    const p = compileMomentumParams(params);
    this.params = p;
    this.#fast = new EMA(p.fastBars);
    this.#slow = new EMA(p.slowBars);
    this.#macd = createMacd(p.fastBars, p.slowBars, p.signalBars);
    this.#rsi = new RSI(p.rsiBars);
    this.#roc = new ROC(p.rocBars);
    this.#atr = new ATR(p.atrBars);
    this.#spreadSigns = new RollingWindow(p.persistenceBars);
    this.#warmupBars = Math.max(
      p.slowBars + p.signalBars - 1,
      this.#rsi.getRequiredInputs(),
      this.#roc.getRequiredInputs(),
      this.#atr.getRequiredInputs() + 1,
    );
  }

  /** Bars needed before the first non-neutral call. */
  get warmupBars(): number {
    return this.#warmupBars;
  }

  /** Bars seen so far. */
  get barCount(): number {
    return this.#count;
  }

  /** Adds the next bar (oldest first). */
  update(bar: Bar): void {
    const fast = this.#fast.add(bar.close);
    const slow = this.#slow.add(bar.close);
    this.#macd.add(bar.close);
    this.#rsi.add(bar.close);
    this.#roc.add(bar.close);
    this.#atr.add(bar);
    this.#count++;
    this.#lastTimestampMs = bar.timestamp;
    if (this.#count >= this.params.slowBars && fast !== null && slow !== null) {
      this.#spreadSigns.push(signOf(fast - slow));
    }
  }

  /** The current call, from the bars seen so far. */
  analysis(): MomentumResult {
    const asOf = this.#lastTimestampMs === null ? null : isoTime(this.#lastTimestampMs);
    const lookback = Math.min(this.#count, this.params.lookbackBars);
    if (this.#count < this.#warmupBars) return notReady(asOf, lookback);
    const p = this.params;
    const fast = this.#fast.getResultOrThrow();
    const slow = this.#slow.getResultOrThrow();
    const macd = this.#macd.getResultOrThrow();
    const rsi = this.#rsi.getResultOrThrow();
    const roc = this.#roc.getResultOrThrow();
    const atr = this.#atr.getResultOrThrow();
    const score =
      WEIGHTS.ema * signOf(fast - slow) +
      WEIGHTS.roc * signOf(roc) +
      WEIGHTS.histogram * signOf(macd.histogram) +
      WEIGHTS.rsi * signOf(rsi - 50);
    const atrFraction = atr / slow;
    const rocZ = atrFraction > 0 ? Math.abs(roc) / (atrFraction * Math.sqrt(p.rocBars)) : 0;
    const macdZ = atr > 0 ? Math.abs(macd.macd) / atr : 0;
    const strength = clamp((rocZ + macdZ) / (2 * p.strengthSaturation), 0, 1);
    const sign = signOf(score);
    const persistence = clamp(sign * this.#spreadSigns.mean(), 0, 1);
    let direction: MomentumResult['trend_direction'] = 'neutral';
    if (strength >= p.minStrength && Math.abs(score) >= p.directionThreshold)
      direction = sign > 0 ? 'up' : 'down';
    const raw = 0.4 * Math.abs(score) + 0.3 * persistence + 0.3 * strength;
    return {
      trend_direction: direction,
      momentum_strength: strength,
      confidence: clamp(direction === 'neutral' ? raw / 2 : raw, 0, 1),
      score,
      persistence,
      ready: true,
      lookback_bars: lookback,
      as_of: asOf,
      indicators: {
        ema_fast: fast,
        ema_slow: slow,
        macd: macd.macd,
        macd_signal: macd.signal,
        macd_histogram: macd.histogram,
        rsi,
        roc,
        atr,
      },
    };
  }
}

function notReady(asOf: string | null, lookback: number): MomentumResult {
  return {
    trend_direction: 'neutral',
    momentum_strength: 0,
    confidence: 0,
    score: 0,
    persistence: 0,
    ready: false,
    lookback_bars: lookback,
    as_of: asOf,
    indicators: {
      ema_fast: null,
      ema_slow: null,
      macd: null,
      macd_signal: null,
      macd_histogram: null,
      rsi: null,
      roc: null,
      atr: null,
    },
  };
}

/**
 * The momentum call on the last `lookbackBars` of `bars` (oldest first).
 * @remarks Replays the window through a fresh {@link MomentumTracker}, so the batch and streaming
 * answers agree exactly when given the same window; cost is O(lookbackBars) per call.
 */
export function analyzeMomentum(
  barsOldestFirst: readonly Bar[],
  params?: MomentumParamsInput,
): MomentumResult {
  const tracker = new MomentumTracker(params);
  const start = Math.max(0, barsOldestFirst.length - tracker.params.lookbackBars);
  for (let i = start; i < barsOldestFirst.length; i++) tracker.update(barsOldestFirst[i] as Bar);
  return tracker.analysis();
}
