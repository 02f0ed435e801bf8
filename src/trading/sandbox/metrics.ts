/**
 * Performance metrics as pure functions of an equity curve and its fills.
 */
import type { EquityPoint, TradeRecord } from './records.ts';

const YEAR_MS = 365.25 * 86_400_000;

/** A run's performance. Fractions (0.1 = 10%); null where a figure is undefined (e.g. no volatility). */
export interface PerformanceMetrics {
  readonly startMs: number | null;
  readonly endMs: number | null;
  readonly startEquityMoney: number | null;
  readonly endEquityMoney: number | null;
  readonly totalReturn: number | null;
  readonly cagr: number | null;
  readonly volatilityAnnual: number | null;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  readonly maxDrawdown: number;
  readonly maxDrawdownPeakMs: number | null;
  readonly maxDrawdownTroughMs: number | null;
  readonly calmar: number | null;
  /** Share of position-reducing fills that realised a profit net of commission; null with none. */
  readonly winRate: number | null;
  readonly closedTrades: number;
  /** Traded notional per year, as a multiple of the mean equity. */
  readonly turnoverAnnual: number | null;
  /** Share of bars ending with a position. */
  readonly exposureTime: number | null;
  /** Mean gross exposure / equity over the bars. */
  readonly exposureMean: number | null;
}

/** Options for {@link computeMetrics}. */
export interface MetricsOptions {
  readonly barsPerYear: number;
  readonly riskFreeRateAnnual: number;
}

/** The largest peak-to-trough fall of a curve, with where it happened. */
export interface Drawdown {
  readonly maxDrawdown: number;
  readonly peakIndex: number | null;
  readonly troughIndex: number | null;
}

/** The maximum drawdown of `values` (a fraction of the running peak). */
export function maxDrawdownOf(values: readonly number[]): Drawdown {
  let peak = Number.NEGATIVE_INFINITY;
  let peakAt = -1;
  let best: Drawdown = { maxDrawdown: 0, peakIndex: null, troughIndex: null };
  values.forEach((v, i) => {
    if (v > peak) {
      peak = v;
      peakAt = i;
    }
    const dd = peak > 0 ? 1 - v / peak : 0;
    if (dd > best.maxDrawdown) best = { maxDrawdown: dd, peakIndex: peakAt, troughIndex: i };
  });
  return best;
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/** NaN and ±Infinity become null, so every figure survives JSON. */
function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Wins over the position-reducing fills, replaying average cost per symbol as the broker does. */
function winsOf(trades: readonly TradeRecord[]): { wins: number; closed: number } {
  const books = new Map<string, { units: number; avg: number }>();
  let wins = 0;
  let closed = 0;
  for (const t of trades) {
    const b = books.get(t.symbol) ?? { units: 0, avg: 0 };
    const signed = t.side === 'buy' ? t.quantity : -t.quantity;
    if (b.units === 0 || Math.sign(b.units) === Math.sign(signed)) {
      b.avg = (Math.abs(b.units) * b.avg + t.quantity * t.priceMoney) / (Math.abs(b.units) + t.quantity);
    } else {
      const closing = Math.min(Math.abs(b.units), t.quantity);
      const pnl = closing * (t.priceMoney - b.avg) * Math.sign(b.units);
      closed++;
      if (pnl - t.commissionMoney > 0) wins++;
      if (t.quantity > Math.abs(b.units)) b.avg = t.priceMoney;
    }
    b.units += signed;
    if (b.units === 0) b.avg = 0;
    books.set(t.symbol, b);
  }
  return { wins, closed };
}

/**
 * Every metric of one equity curve (one point per bar, the first before any fill) and its fills.
 * @remarks Returns are simple, bar to bar. Volatility, Sharpe and Sortino are annualised with
 * `barsPerYear`; CAGR uses calendar time between the first and last points; Sortino's downside
 * deviation is the root mean square of the below-risk-free returns over all bars; Calmar is
 * CAGR / max drawdown.
 */
export function computeMetrics(
  curve: readonly EquityPoint[],
  trades: readonly TradeRecord[],
  options: MetricsOptions,
): PerformanceMetrics {
  const first = curve[0];
  const last = curve[curve.length - 1];
  const equity = curve.map((p) => p.equityMoney);
  const returns: number[] = [];
  for (let i = 1; i < equity.length; i++) returns.push((equity[i] as number) / (equity[i - 1] as number) - 1);
  const rfBar = options.riskFreeRateAnnual / options.barsPerYear;
  const annual = Math.sqrt(options.barsPerYear);
  const std = sampleStd(returns);
  const excess = returns.length > 0 ? mean(returns) - rfBar : Number.NaN;
  const downside = Math.sqrt(mean(returns.map((r) => Math.min(0, r - rfBar) ** 2)));
  const total = first && last ? last.equityMoney / first.equityMoney - 1 : Number.NaN;
  const years = first && last ? (last.timestampMs - first.timestampMs) / YEAR_MS : 0;
  const cagr = years > 0 && total > -1 ? (1 + total) ** (1 / years) - 1 : Number.NaN;
  const dd = maxDrawdownOf(equity);
  const { wins, closed } = winsOf(trades);
  const notional = trades.reduce((s, t) => s + t.quantity * t.priceMoney, 0);
  const meanEquity = equity.length > 0 ? mean(equity) : Number.NaN;
  return {
    startMs: first?.timestampMs ?? null,
    endMs: last?.timestampMs ?? null,
    startEquityMoney: first?.equityMoney ?? null,
    endEquityMoney: last?.equityMoney ?? null,
    totalReturn: finite(total),
    cagr: finite(cagr),
    volatilityAnnual: finite(std * annual),
    sharpe: std > 0 ? finite((excess / std) * annual) : null,
    sortino: downside > 0 ? finite((excess / downside) * annual) : null,
    maxDrawdown: dd.maxDrawdown,
    maxDrawdownPeakMs: dd.peakIndex === null ? null : (curve[dd.peakIndex]?.timestampMs ?? null),
    maxDrawdownTroughMs: dd.troughIndex === null ? null : (curve[dd.troughIndex]?.timestampMs ?? null),
    calmar: dd.maxDrawdown > 0 ? finite(cagr / dd.maxDrawdown) : null,
    winRate: closed > 0 ? wins / closed : null,
    closedTrades: closed,
    turnoverAnnual: years > 0 && meanEquity > 0 ? finite(notional / meanEquity / years) : null,
    exposureTime:
      curve.length > 0 ? curve.filter((p) => p.grossExposureMoney > 0).length / curve.length : null,
    exposureMean:
      curve.length > 0
        ? mean(curve.map((p) => (p.equityMoney > 0 ? p.grossExposureMoney / p.equityMoney : 0)))
        : null,
  };
}

/**
 * The benchmark: `initialCashMoney` split equally across the symbols and bought at each one's first
 * close on the curve's timeline, no costs, fractional units, held to the end.
 * @remarks Frictionless on purpose: it is the yardstick, and with one symbol its curve is exactly
 * the price series scaled, so its return and drawdown can be checked against the raw data. A
 * symbol holds its cash share until its first bar and its last close after its last bar.
 */
export function buyAndHoldCurve(
  timeline: readonly number[],
  closes: Readonly<Record<string, ReadonlyMap<number, number>>>,
  initialCashMoney: number,
): EquityPoint[] {
  const symbols = Object.keys(closes).sort();
  const share = initialCashMoney / Math.max(1, symbols.length);
  const units = new Map<string, number>();
  const lastClose = new Map<string, number>();
  return timeline.map((t) => {
    let value = 0;
    let cash = 0;
    for (const s of symbols) {
      const close = closes[s]?.get(t);
      if (close !== undefined) {
        lastClose.set(s, close);
        if (!units.has(s)) units.set(s, share / close);
      }
      const held = units.get(s);
      if (held === undefined) cash += share;
      else value += held * (lastClose.get(s) ?? 0);
    }
    return {
      timestampMs: t,
      cashMoney: cash,
      positionsValueMoney: value,
      equityMoney: cash + value,
      grossExposureMoney: value,
    };
  });
}
