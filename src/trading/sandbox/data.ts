/**
 * A backtest's input bars: validated per symbol, cut to the trading window plus warm-up, and laid
 * on one timeline across symbols.
 */
import { ValidationError } from '../../core/errors.ts';
import type { Bar, BarInterval } from '../market-data/bar.ts';
import { validateBars } from '../market-data/validate-bars.ts';
import type { BarCandidate } from '../market-data/validate-bars.ts';

/** The bars a backtest runs on, by symbol, each series oldest first. */
export interface BacktestData {
  readonly interval?: BarInterval;
  readonly bars: Readonly<Record<string, readonly BarCandidate[]>>;
}

/** The prepared input: per symbol the bars kept, and where trading starts. */
export interface PreparedData {
  readonly interval: BarInterval;
  /** Symbols in sorted order: the order every per-bar loop visits them in. */
  readonly symbols: readonly string[];
  readonly bars: Readonly<Record<string, readonly Bar[]>>;
  /** Every timestamp at which some symbol has a bar, ascending. */
  readonly timeline: readonly number[];
  /** The first timestamp that trades (earlier ones only warm the agents up). */
  readonly tradeFromMs: number;
  readonly tradeToMs: number;
}

/**
 * Validates every series with the data validation agent's checks and cuts it to
 * [fromMs − warmupBars bars, toMs].
 * @throws ValidationError naming the symbol and row (`bars.SPX[17]`) with the reason for the first
 * problem (bad data is rejected, never repaired), or `bars` when nothing is left to trade.
 */
export function prepareData(
  data: BacktestData,
  fromMs: number | undefined,
  toMs: number | undefined,
  warmupBars: number,
  maxGapDays: number,
): PreparedData {
  const interval = data.interval ?? '1d';
  const symbols = Object.keys(data.bars).sort();
  if (symbols.length === 0) throw new ValidationError('bars', 'must hold at least one symbol (got none)');
  const kept: Record<string, readonly Bar[]> = {};
  const times = new Set<number>();
  let tradeFromMs = Number.POSITIVE_INFINITY;
  let tradeToMs = Number.NEGATIVE_INFINITY;
  for (const symbol of symbols) {
    const verdict = validateBars({ symbol, interval, bars: data.bars[symbol] ?? [] }, { maxGapDays });
    const first = verdict.rejections[0];
    if (verdict.valid === undefined || first !== undefined) {
      throw new ValidationError(
        `bars.${symbol}[${first?.index ?? 0}]`,
        `${first?.reason ?? 'rejected'}: ${first?.message ?? 'the series was rejected'}` +
          ` (${verdict.rejections.length} problem(s) in ${verdict.checkedRows} rows; bad data is not repaired)`,
        { rejections: verdict.rejections.slice(0, 10).map((r) => ({ index: r.index, reason: r.reason })) },
      );
    }
    const all = verdict.valid;
    let start = all.findIndex((b) => fromMs === undefined || b.timestamp >= fromMs);
    if (start < 0) start = all.length;
    let end = all.length;
    while (end > start && toMs !== undefined && (all[end - 1] as Bar).timestamp > toMs) end--;
    if (end > start) {
      tradeFromMs = Math.min(tradeFromMs, (all[start] as Bar).timestamp);
      tradeToMs = Math.max(tradeToMs, (all[end - 1] as Bar).timestamp);
    }
    const series = all.slice(Math.max(0, start - warmupBars), end);
    kept[symbol] = series;
    for (const bar of series) times.add(bar.timestamp);
  }
  if (!Number.isFinite(tradeFromMs)) {
    throw new ValidationError('bars', 'no symbol has a bar inside the from/to window');
  }
  return {
    interval,
    symbols,
    bars: kept,
    timeline: [...times].sort((a, b) => a - b),
    tradeFromMs,
    tradeToMs,
  };
}
