/**
 * Indicator series over bars: thin wrappers over the trading-signals library, one value per bar,
 * `null` until the indicator has enough data.
 * @remarks trading-signals v8 computes on plain numbers (it dropped big.js and its `Faster*`
 * twins), so these wrappers call the library's streaming classes directly. The agents' trackers
 * use the same classes one bar at a time; these batch forms are for analysis and tests.
 */
import { ATR, BollingerBands, EMA, MACD, ROC, RSI, SMA } from 'trading-signals';
import { z } from 'zod';
import type { Bar } from '../market-data/bar.ts';
import { parseParams } from './params.ts';

/** One indicator value per bar, `null` while the indicator is warming up. */
export type IndicatorSeries<T = number> = (T | null)[];

/** MACD's three lines at one bar. */
export interface MacdPoint {
  macd: number;
  signal: number;
  histogram: number;
}

/** Bollinger Bands at one bar. */
export interface BollingerPoint {
  lower: number;
  middle: number;
  upper: number;
}

const period = z.number().int().min(1).max(10_000);

function checkPeriod(value: number, name: string): number {
  return parseParams(period, value, name);
}

/** A streaming indicator as the library shapes it: `add` then read `isStable`. */
interface Streaming<I, O> {
  add(input: I): O | null;
  readonly isStable: boolean;
}

function run<I, O>(indicator: Streaming<I, O>, inputs: readonly I[]): IndicatorSeries<O> {
  const out: IndicatorSeries<O> = new Array<O | null>(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    const value = indicator.add(inputs[i] as I);
    out[i] = indicator.isStable ? value : null;
  }
  return out;
}

/** The closes of `bars`, oldest first. */
export function closesOf(bars: readonly Bar[]): number[] {
  return bars.map((b) => b.close);
}

/** Simple moving average of closes over `periodBars`. */
export function smaSeries(bars: readonly Bar[], periodBars: number): IndicatorSeries {
  return run(new SMA(checkPeriod(periodBars, 'periodBars')), closesOf(bars));
}

/** Exponential moving average of closes over `periodBars` (null until `periodBars` closes). */
export function emaSeries(bars: readonly Bar[], periodBars: number): IndicatorSeries {
  return run(new EMA(checkPeriod(periodBars, 'periodBars')), closesOf(bars));
}

/** Relative strength index (0–100) of closes, Wilder smoothing, over `periodBars`. */
export function rsiSeries(bars: readonly Bar[], periodBars: number): IndicatorSeries {
  return run(new RSI(checkPeriod(periodBars, 'periodBars')), closesOf(bars));
}

/** Creates the library's MACD on EMAs of the given periods. */
export function createMacd(fastBars: number, slowBars: number, signalBars: number): MACD {
  return new MACD(
    new EMA(checkPeriod(fastBars, 'fastBars')),
    new EMA(checkPeriod(slowBars, 'slowBars')),
    new EMA(checkPeriod(signalBars, 'signalBars')),
  );
}

/** MACD (fast EMA − slow EMA, its signal EMA, and the histogram) of closes. */
export function macdSeries(
  bars: readonly Bar[],
  fastBars = 12,
  slowBars = 26,
  signalBars = 9,
): IndicatorSeries<MacdPoint> {
  return run<number, MacdPoint>(createMacd(fastBars, slowBars, signalBars), closesOf(bars));
}

/** Bollinger Bands of closes: SMA ± `deviations` population standard deviations. */
export function bollingerSeries(
  bars: readonly Bar[],
  periodBars = 20,
  deviations = 2,
): IndicatorSeries<BollingerPoint> {
  return run(new BollingerBands(checkPeriod(periodBars, 'periodBars'), deviations), closesOf(bars));
}

/** Average true range (Wilder smoothing) over `periodBars`, in price units. */
export function atrSeries(bars: readonly Bar[], periodBars = 14): IndicatorSeries {
  return run(new ATR(checkPeriod(periodBars, 'periodBars')), bars);
}

/** Rate of change of closes over `periodBars`, as a fraction (0.05 = +5%). */
export function rocSeries(bars: readonly Bar[], periodBars: number): IndicatorSeries {
  return run(new ROC(checkPeriod(periodBars, 'periodBars')), closesOf(bars));
}
