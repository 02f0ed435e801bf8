/**
 * A regime-switching geometric Brownian motion that generates realistic OHLCV bars.
 */
import { SeededRandom } from '../../core/random.ts';
import type { Bar, BarInterval } from './bar.ts';
import { INTERVAL_MS } from './source.ts';

/** One market regime: its own drift, volatility and trading activity. */
export interface Regime {
  readonly name: string;
  /** Expected log-return per year, e.g. 0.1 for +10 %. */
  readonly annualDrift: number;
  /** Standard deviation of log-returns per year, e.g. 0.2 for 20 %. */
  readonly annualVolatility: number;
  /** Scales the symbol's base volume while the regime lasts. */
  readonly volumeMultiplier: number;
}

/** The generator's parameters. */
export interface SyntheticModel {
  readonly regimes: readonly Regime[];
  /** Row-stochastic Markov matrix: `transitions[i][j]` is the chance per bar of moving from regime i to j. */
  readonly transitions: readonly (readonly number[])[];
  /** Price sub-steps simulated inside each bar; high and low are the path's extremes. */
  readonly stepsPerBar: number;
}

/** Bull, bear and crisis regimes with a sticky Markov switch (probabilities per bar). */
export const DEFAULT_SYNTHETIC_MODEL: SyntheticModel = {
  regimes: [
    { name: 'bull', annualDrift: 0.12, annualVolatility: 0.14, volumeMultiplier: 1 },
    { name: 'bear', annualDrift: -0.18, annualVolatility: 0.26, volumeMultiplier: 1.3 },
    { name: 'crisis', annualDrift: -0.5, annualVolatility: 0.65, volumeMultiplier: 2.2 },
  ],
  transitions: [
    [0.985, 0.012, 0.003],
    [0.03, 0.96, 0.01],
    [0.04, 0.06, 0.9],
  ],
  stepsPerBar: 8,
};

/** A generated path: the bars and the regime each bar was drawn in. */
export interface SyntheticPath {
  readonly bars: Bar[];
  readonly regimes: string[];
}

const DAY_MS = 86_400_000;
const SESSION_OPEN_MS = 14.5 * 3_600_000;
const SESSION_CLOSE_MS = 21 * 3_600_000;
const TRADING_DAYS_PER_YEAR = 252;
const SESSION_MS = SESSION_CLOSE_MS - SESSION_OPEN_MS;

/** The length of one bar in years of trading time. */
function yearsPerBar(interval: BarInterval): number {
  if (interval === '1d') return 1 / TRADING_DAYS_PER_YEAR;
  if (interval === '1wk') return 1 / 52;
  if (interval === '1mo') return 1 / 12;
  return INTERVAL_MS[interval] / SESSION_MS / TRADING_DAYS_PER_YEAR;
}

/** 1970-01-01 was a Thursday (day 4); weekday arithmetic avoids a Date per bar. */
const dayOfWeek = (t: number): number => (Math.floor(t / DAY_MS) + 4) % 7;
const isWeekday = (t: number): boolean => {
  const d = dayOfWeek(t);
  return d !== 0 && d !== 6;
};

/**
 * The first bar time at or after `t`: weekdays at 00:00 UTC for daily bars, Mondays for weekly,
 * the 1st for monthly, and a 14:30–21:00 UTC weekday session for intraday bars.
 */
export function alignBarTime(interval: BarInterval, t: number): number {
  if (interval === '1mo') {
    const d = new Date(t);
    const first = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    return first >= t ? first : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  let day = Math.ceil(t / DAY_MS) * DAY_MS;
  if (interval === '1wk') {
    while (dayOfWeek(day) !== 1) day += DAY_MS;
    return day;
  }
  if (interval === '1d') {
    while (!isWeekday(day)) day += DAY_MS;
    return day;
  }
  const step = INTERVAL_MS[interval];
  const dayStart = Math.floor(t / DAY_MS) * DAY_MS;
  const intoSession = t - dayStart - SESSION_OPEN_MS;
  if (isWeekday(dayStart) && intoSession >= 0 && intoSession < SESSION_MS) {
    const aligned = dayStart + SESSION_OPEN_MS + Math.ceil(intoSession / step) * step;
    if (aligned < dayStart + SESSION_CLOSE_MS) return aligned;
  }
  day = intoSession < 0 ? dayStart : dayStart + DAY_MS;
  while (!isWeekday(day)) day += DAY_MS;
  return day + SESSION_OPEN_MS;
}

/** The bar time after `t` (itself a bar time). */
export function nextBarTime(interval: BarInterval, t: number): number {
  if (interval === '1mo') {
    const d = new Date(t);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  if (interval === '1wk') return t + 7 * DAY_MS;
  return alignBarTime(interval, t + (interval === '1d' ? DAY_MS : INTERVAL_MS[interval]));
}

/** A 32-bit seed for one symbol under one generator seed (FNV-1a of the symbol, mixed with the seed). */
export function symbolSeed(seed: number, symbol: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < symbol.length; i++) h = Math.imul(h ^ symbol.charCodeAt(i), 0x01000193);
  return Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
}

/** Standard normal draws from a seeded uniform source (Box–Muller, using both outputs). */
class Normal {
  #spare: number | undefined;
  constructor(readonly random: SeededRandom) {}
  next(): number {
    if (this.#spare !== undefined) {
      const s = this.#spare;
      this.#spare = undefined;
      return s;
    }
    const u1 = 1 - this.random.next();
    const u2 = this.random.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.#spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }
}

const round4 = (x: number): number => Math.max(1e-4, Math.round(x * 1e4) / 1e4);

/**
 * Generates `count` bars from `startMs` for one symbol: each bar first takes a Markov step between
 * regimes, then simulates `stepsPerBar` GBM sub-steps under that regime's drift and volatility.
 * Open carries a small gap from the previous close; high and low are the intrabar path's extremes;
 * volume rises with the regime and with the size of the bar's move.
 */
export function generateSyntheticPath(
  model: SyntheticModel,
  seed: number,
  symbol: string,
  interval: BarInterval,
  startMs: number,
  count: number,
): SyntheticPath {
  const normal = new Normal(new SeededRandom(symbolSeed(seed, symbol)));
  const rnd = normal.random;
  const dt = yearsPerBar(interval);
  const k = model.stepsPerBar;
  let price = 20 + rnd.next() * 280;
  const baseVolume = 2e5 * Math.exp(rnd.next() * 3.5);
  let regime = 0;
  const bars: Bar[] = new Array<Bar>(count);
  const regimes: string[] = new Array<string>(count);
  let t = alignBarTime(interval, startMs);
  for (let i = 0; i < count; i++) {
    regime = nextRegime(model.transitions[regime] ?? [1], rnd.next(), regime);
    const r = model.regimes[regime] ?? model.regimes[0];
    if (r === undefined) break;
    const vol = r.annualVolatility * Math.sqrt(dt);
    const subVol = r.annualVolatility * Math.sqrt(dt / k);
    const subDrift = ((r.annualDrift - (r.annualVolatility * r.annualVolatility) / 2) * dt) / k;
    const open = price * Math.exp(0.2 * vol * normal.next());
    let p = open;
    let high = open;
    let low = open;
    for (let s = 0; s < k; s++) {
      p *= Math.exp(subDrift + subVol * normal.next());
      if (p > high) high = p;
      if (p < low) low = p;
    }
    const move = vol > 0 ? Math.abs(Math.log(p / open)) / vol : 0;
    const volume = Math.round(
      baseVolume * r.volumeMultiplier * Math.exp(0.3 * normal.next()) * (1 + 0.5 * move),
    );
    bars[i] = {
      timestamp: t,
      open: round4(open),
      high: round4(high),
      low: round4(low),
      close: round4(p),
      volume,
    };
    regimes[i] = r.name;
    price = p;
    t = nextBarTime(interval, t);
  }
  return { bars, regimes };
}

function nextRegime(row: readonly number[], u: number, current: number): number {
  let acc = 0;
  for (let j = 0; j < row.length; j++) {
    acc += row[j] ?? 0;
    if (u < acc) return j;
  }
  return current;
}
