/**
 * The correlation agent: how a trade in one symbol changes the portfolio's concentration, from the
 * rolling correlation of its returns with each holding's.
 */
import { getCorrelation, getStandardDeviation } from 'trading-signals';
import { z } from 'zod';
import { ValidationError } from '../../core/index.ts';
import type { Bar } from '../market-data/bar.ts';
import { parseParams } from './params.ts';
import { clamp } from './stats.ts';
import { isoTime } from '../../core/iso-time.ts';

/** Correlation parameters, every one optional with a default. */
export const correlationParamsSchema = z
  .object({
    lookbackBars: z.number().int().min(3).max(100_000).default(60),
    minObservations: z.number().int().min(2).max(100_000).default(20),
  })
  .refine((p) => p.minObservations <= p.lookbackBars, {
    path: ['minObservations'],
    error: 'must be at most lookbackBars',
  });
/** Correlation parameters as given (all optional). */
export type CorrelationParamsInput = z.input<typeof correlationParamsSchema>;
/** Validated, complete correlation parameters. */
export type CorrelationParams = z.output<typeof correlationParamsSchema>;

/** Validates correlation parameters; throws ValidationError naming the parameter. */
export function compileCorrelationParams(input?: CorrelationParamsInput): CorrelationParams {
  return parseParams(correlationParamsSchema, input);
}

/** One holding: its market value in money, negative for a short. */
export interface Holding {
  symbol: string;
  valueMoney: number;
}

/** The correlation agent's analysis; parses with the coordinator's `correlationAnalysisSchema`. */
export interface CorrelationResult {
  [key: string]: unknown;
  /** In [-1, 1]: positive diversifies the portfolio, negative concentrates it (= −weighted correlation). */
  portfolio_impact: number;
  /** Σ wᵢ ρᵢ with wᵢ = valueᵢ / Σ|value| over the holdings used. */
  weighted_correlation: number;
  /** The candidate's row of the correlation matrix: ρ with each holding used. */
  correlations: Record<string, number>;
  weights: Record<string, number>;
  /** Holdings left out for lack of overlapping data, with why. */
  excluded: Record<string, 'no_data' | 'insufficient_overlap'>;
  lookback_bars: number;
  as_of: string | null;
}

/**
 * The candidate's and the holding's simple returns over the candidate's last `count` returns, on
 * the timestamps both have: a merge join walking both series back from their ends (both sorted).
 */
function alignedReturns(mine: readonly Bar[], theirs: readonly Bar[], count: number): [number[], number[]] {
  const a: number[] = [];
  const b: number[] = [];
  let j = theirs.length - 1;
  const stop = Math.max(1, mine.length - count);
  for (let i = mine.length - 1; i >= stop; i--) {
    const ts = (mine[i] as Bar).timestamp;
    while (j > 0 && (theirs[j] as Bar).timestamp > ts) j--;
    if (j < 1 || (theirs[j] as Bar).timestamp !== ts) continue;
    a.push((mine[i] as Bar).close / (mine[i - 1] as Bar).close - 1);
    b.push((theirs[j] as Bar).close / (theirs[j - 1] as Bar).close - 1);
  }
  return [a, b];
}

/** Pearson correlation by the library, 0 when either side has no variance (no information). */
function correlationOrZero(a: number[], b: number[]): number {
  if (getStandardDeviation(a) === 0 || getStandardDeviation(b) === 0) return 0;
  return clamp(getCorrelation(a, b), -1, 1);
}

/**
 * The portfolio impact of trading `symbol` given `holdings`, over the last `lookbackBars` returns.
 * @remarks Returns are aligned on timestamps the candidate and each holding share. The sign
 * follows the coordinator's `portfolio_impact` remark: a trade correlated with what is held
 * concentrates risk and pulls confidence down (negative), one that moves against it diversifies
 * (positive). Weights are signed, so a long in a symbol that mirrors an existing short diversifies.
 * With no usable holdings the impact is 0. Cost: O(holdings · lookbackBars) per call.
 * @throws ValidationError when `symbol` has no bars or the params/holdings are malformed.
 */
export function assessCorrelation(
  symbol: string,
  barsBySymbol: Readonly<Record<string, readonly Bar[]>>,
  holdings: readonly Holding[],
  params?: CorrelationParamsInput,
): CorrelationResult {
  const p = compileCorrelationParams(params);
  const candidateBars = barsBySymbol[symbol];
  if (candidateBars === undefined || candidateBars.length === 0) {
    throw new ValidationError('symbol', `has no bars for '${symbol}' (barsBySymbol must include it)`);
  }
  const bars = candidateBars;
  const correlations: Record<string, number> = {};
  const values: Record<string, number> = {};
  const excluded: CorrelationResult['excluded'] = {};
  holdings.forEach((h, i) => {
    if (!Number.isFinite(h.valueMoney)) {
      throw new ValidationError(`holdings[${i}].valueMoney`, `must be a finite number (got ${h.valueMoney})`);
    }
    values[h.symbol] = (values[h.symbol] ?? 0) + h.valueMoney;
  });
  let gross = 0;
  for (const [heldSymbol, value] of Object.entries(values)) {
    const other = barsBySymbol[heldSymbol];
    if (other === undefined || other.length < 2) {
      excluded[heldSymbol] = 'no_data';
      continue;
    }
    const [a, b] = alignedReturns(bars, other, p.lookbackBars);
    if (a.length < p.minObservations) {
      excluded[heldSymbol] = 'insufficient_overlap';
      continue;
    }
    correlations[heldSymbol] = correlationOrZero(a, b);
    gross += Math.abs(value);
  }
  const weights: Record<string, number> = {};
  let weighted = 0;
  for (const [heldSymbol, rho] of Object.entries(correlations)) {
    const w = gross > 0 ? (values[heldSymbol] ?? 0) / gross : 0;
    weights[heldSymbol] = w;
    weighted += w * rho;
  }
  const last = bars[bars.length - 1];
  const impact = clamp(-weighted, -1, 1);
  return {
    portfolio_impact: impact === 0 ? 0 : impact, // never -0 on the wire
    weighted_correlation: clamp(weighted, -1, 1),
    correlations,
    weights,
    excluded,
    lookback_bars: p.lookbackBars,
    as_of: last === undefined ? null : isoTime(last.timestamp),
  };
}
