/**
 * The risk agent: realised volatility, value at risk, volatility-targeted position sizing and a
 * drawdown guard, from bars and a portfolio snapshot.
 */
import { z } from 'zod';
import type { RiskLevel } from '../../coordination/index.ts';
import { ValidationError } from '../../core/index.ts';
import type { Bar } from '../market-data/bar.ts';
import { parseParams } from './params.ts';
import { clamp, normalQuantile, RollingWindow } from './stats.ts';
import { isoTime } from '../../core/iso-time.ts';

/**
 * Risk parameters, every one optional with a default. Volatilities and drawdowns are fractions
 * (0.15 = 15%), volatilities annualised.
 */
export const riskParamsSchema = z
  .object({
    lookbackBars: z.number().int().min(5).max(100_000).default(60),
    minObservations: z.number().int().min(2).max(100_000).default(10),
    barsPerYear: z.number().gt(0).max(1_000_000).default(252),
    confidenceLevel: z.number().min(0.5).max(0.9999).default(0.95),
    targetVolatility: z.number().gt(0).max(10).default(0.15),
    maxPositionFraction: z.number().gt(0).max(10).default(0.2),
    maxDrawdown: z.number().gt(0).max(1).default(0.2),
    volatilityCeiling: z.number().gt(0).max(100).default(0.8),
    mediumScore: z.number().min(0).max(1).default(0.3),
    highScore: z.number().min(0).max(1).default(0.6),
  })
  .refine((p) => p.mediumScore <= p.highScore, { path: ['highScore'], error: 'must be at least mediumScore' })
  .refine((p) => p.minObservations <= p.lookbackBars, {
    path: ['minObservations'],
    error: 'must be at most lookbackBars',
  });
/** Risk parameters as given (all optional). */
export type RiskParamsInput = z.input<typeof riskParamsSchema>;
/** Validated, complete risk parameters. */
export type RiskParams = z.output<typeof riskParamsSchema>;

/** Validates risk parameters; throws ValidationError naming the parameter (`params.maxDrawdown`). */
export function compileRiskParams(input?: RiskParamsInput): RiskParams {
  return parseParams(riskParamsSchema, input);
}

/** The portfolio the assessment sizes for: money in the account currency, the position in units. */
export interface PortfolioSnapshot {
  equity: number;
  peakEquity: number;
  /** Signed units currently held in the instrument; 0 (the default) sizes VaR on the recommendation. */
  positionUnits?: number;
}

/**
 * Checks a snapshot by hand rather than with zod: it is read on every bar of a backtest, and a
 * schema parse costs more than the whole assessment.
 */
function checkPortfolio(portfolio: PortfolioSnapshot): Required<PortfolioSnapshot> {
  const positionUnits = portfolio.positionUnits ?? 0;
  checkFinite('equity', portfolio.equity);
  checkFinite('peakEquity', portfolio.peakEquity);
  checkFinite('positionUnits', positionUnits);
  return { equity: portfolio.equity, peakEquity: portfolio.peakEquity, positionUnits };
}

function checkFinite(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValidationError(`portfolio.${field}`, `must be a finite number (got ${String(value)})`);
  }
}

/** Value at risk over one bar, as a loss fraction (positive) and in money for `position_value`. */
export interface ValueAtRisk {
  confidence_level: number;
  horizon_bars: 1;
  historical_fraction: number;
  parametric_fraction: number;
  position_value: number;
  historical_money: number;
  parametric_money: number;
}

/** The risk agent's analysis; parses with the coordinator's `riskAnalysisSchema`. */
export interface RiskResult {
  [key: string]: unknown;
  risk_level: RiskLevel;
  overall_score: number;
  /** One-bar VaR in money: the larger of the historical and parametric estimates. */
  var: number;
  var_detail: ValueAtRisk;
  realized_volatility: number;
  drawdown: number;
  position_sizing: {
    /** Order size in units (shares/contracts), rounded down. */
    recommended_size: number;
    recommended_notional: number;
    target_volatility: number;
    /** The cap in units: `maxPositionFraction` of equity at the last close. */
    max_position: number;
  };
  /** Why the level is `blocked` or `high` by rule rather than score; absent otherwise. */
  reason?: 'drawdown_limit' | 'no_equity' | 'insufficient_data';
  observations: number;
  as_of: string | null;
}

/**
 * Incremental risk state: one `update(bar)` per bar (a binary search and a short move: the
 * returns window is kept sorted for the historical VaR quantile); `assess(portfolio)` on demand, O(1).
 * @remarks Rules: level `blocked` when drawdown from peak equity ≥ `maxDrawdown` or equity ≤ 0;
 * `high` while fewer than `minObservations` returns are known; otherwise by
 * overall_score = 0.6 · vol/`volatilityCeiling` + 0.4 · drawdown/`maxDrawdown` (clamped), `high` at
 * ≥ `highScore`, `medium` at ≥ `mediumScore`. Sizing targets `targetVolatility`: notional =
 * equity · target/realised vol, capped at `maxPositionFraction` · equity, then scaled down
 * linearly with drawdown (zero at the limit). `recommended_size` is in units, because the
 * coordinator's rule policy passes it on as the order quantity and the broker takes units.
 */
export class RiskTracker {
  readonly params: RiskParams;
  readonly #returns: RollingWindow;
  /** The standard normal quantile at the VaR confidence level (a constant of the params). */
  readonly #z: number;
  #lastClose: number | null = null;
  #lastTimestampMs: number | null = null;

  constructor(params?: RiskParamsInput) {
    this.params = compileRiskParams(params);
    this.#returns = new RollingWindow(this.params.lookbackBars, { sorted: true });
    this.#z = normalQuantile(this.params.confidenceLevel);
  }

  /** Adds the next bar (oldest first). */
  update(bar: Bar): void {
    if (this.#lastClose !== null) this.#returns.push(bar.close / this.#lastClose - 1);
    this.#lastClose = bar.close;
    this.#lastTimestampMs = bar.timestamp;
  }

  /** Annualised realised volatility of simple returns (sample), NaN before two returns. */
  realizedVolatility(): number {
    return this.#returns.sampleStdDev() * Math.sqrt(this.params.barsPerYear);
  }

  /** The assessment for `portfolio` at the last bar. */
  assess(portfolio: PortfolioSnapshot): RiskResult {
    const p = this.params;
    const snap = checkPortfolio(portfolio);
    const close = this.#lastClose ?? Number.NaN;
    const n = this.#returns.size;
    const peak = Math.max(snap.peakEquity, snap.equity);
    const drawdown = peak > 0 ? clamp(1 - snap.equity / peak, 0, 1) : 0;
    const vol = n >= 2 ? this.realizedVolatility() : 0;
    const sigma = n >= 2 ? this.#returns.sampleStdDev() : 0;
    const alpha = 1 - p.confidenceLevel;
    const historical = n > 0 ? Math.max(0, -this.#returns.quantile(alpha)) : 0;
    const parametric = n >= 2 ? Math.max(0, this.#z * sigma - this.#returns.mean()) : 0;

    const capNotional = Math.max(0, p.maxPositionFraction * snap.equity);
    const targetNotional = vol > 0 ? (snap.equity * p.targetVolatility) / vol : capNotional;
    const ddScale = clamp(1 - drawdown / p.maxDrawdown, 0, 1);
    let notional = Math.max(0, Math.min(targetNotional, capNotional) * ddScale);
    let reason: RiskResult['reason'];
    let score = clamp((0.6 * vol) / p.volatilityCeiling + (0.4 * drawdown) / p.maxDrawdown, 0, 1);
    let level: RiskLevel = score >= p.highScore ? 'high' : score >= p.mediumScore ? 'medium' : 'low';
    if (snap.equity <= 0 || drawdown >= p.maxDrawdown) {
      reason = snap.equity <= 0 ? 'no_equity' : 'drawdown_limit';
      level = 'blocked';
      score = 1;
      notional = 0;
    } else if (n < p.minObservations || !(close > 0)) {
      reason = 'insufficient_data';
      level = 'high';
      notional = 0;
    }
    const units = close > 0 ? Math.floor(notional / close) : 0;
    const positionValue = snap.positionUnits !== 0 ? Math.abs(snap.positionUnits) * close : units * close;
    const value = Number.isFinite(positionValue) ? positionValue : 0;
    const varDetail: ValueAtRisk = {
      confidence_level: p.confidenceLevel,
      horizon_bars: 1,
      historical_fraction: historical,
      parametric_fraction: parametric,
      position_value: value,
      historical_money: historical * value,
      parametric_money: parametric * value,
    };
    return {
      risk_level: level,
      overall_score: score,
      var: Math.max(varDetail.historical_money, varDetail.parametric_money),
      var_detail: varDetail,
      realized_volatility: vol,
      drawdown,
      position_sizing: {
        recommended_size: units,
        recommended_notional: units * (close > 0 ? close : 0),
        target_volatility: p.targetVolatility,
        max_position: close > 0 ? Math.floor(capNotional / close) : 0,
      },
      ...(reason === undefined ? {} : { reason }),
      observations: n,
      as_of: this.#lastTimestampMs === null ? null : isoTime(this.#lastTimestampMs),
    };
  }
}

/**
 * The risk assessment of `portfolio` on the last `lookbackBars` returns of `bars` (oldest first).
 * @remarks Replays the window through a fresh {@link RiskTracker}: O(lookbackBars) per call.
 */
export function assessRisk(
  barsOldestFirst: readonly Bar[],
  portfolio: PortfolioSnapshot,
  params?: RiskParamsInput,
): RiskResult {
  const tracker = new RiskTracker(params);
  const start = Math.max(0, barsOldestFirst.length - tracker.params.lookbackBars - 1);
  for (let i = start; i < barsOldestFirst.length; i++) tracker.update(barsOldestFirst[i] as Bar);
  return tracker.assess(portfolio);
}
