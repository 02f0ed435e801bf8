/**
 * The transaction cost agent: estimates an order's commission, spread and market impact from
 * recent bars, and plans its execution (TWAP slices, market or limit) under an impact budget.
 */
import { z } from 'zod';
import { ValidationError } from '../../core/index.ts';
import type { Bar } from '../market-data/bar.ts';
import { parseParams } from './params.ts';
import { RollingWindow } from './stats.ts';

const money = z.number().min(0).max(1e9);
const bps = z.number().min(0).max(10_000);

/**
 * Cost parameters, every one optional with a default. `*Bps` are basis points of notional.
 * @remarks Without `spreadBps` the spread is estimated as `spreadRangeFactor` × the mean bar range
 * ((high − low) / close), floored at `minSpreadBps`: a crude proxy, since bars carry no quotes.
 */
export const costParamsSchema = z.object({
  lookbackBars: z.number().int().min(2).max(100_000).default(20),
  commissionPerUnit: money.default(0.005),
  commissionBps: bps.default(0),
  minCommissionMoney: money.default(1),
  spreadBps: bps.optional(),
  minSpreadBps: bps.default(1),
  spreadRangeFactor: z.number().min(0).max(1).default(0.02),
  impactCoefficient: z.number().min(0).max(100).default(1),
  maxImpactBps: bps.default(10),
  maxSlices: z.number().int().min(1).max(10_000).default(20),
  maxParticipation: z.number().gt(0).max(1).default(0.1),
  limitOrderMinSpreadBps: bps.default(10),
});
/** Cost parameters as given (all optional). */
export type CostParamsInput = z.input<typeof costParamsSchema>;
/** Validated, complete cost parameters. */
export type CostParams = z.output<typeof costParamsSchema>;

/** Validates cost parameters; throws ValidationError naming the parameter (`params.maxSlices`). */
export function compileCostParams(input?: CostParamsInput): CostParams {
  return parseParams(costParamsSchema, input);
}

/** The order being costed: a side and a quantity in units. */
export const costOrderSchema = z.object({
  side: z.enum(['buy', 'sell']),
  quantity: z.number().gt(0).refine(Number.isFinite, { error: 'must be a finite number' }),
});
/** An order to cost. */
export type CostOrder = z.input<typeof costOrderSchema>;

/** An order's estimated execution cost. */
export interface CostEstimate {
  notional_money: number;
  commission_money: number;
  commission_bps: number;
  spread_bps: number;
  /** Slippage from crossing half the spread. */
  half_spread_bps: number;
  /** Square-root market impact: coefficient · σ_bar · √(quantity / ADV). */
  impact_bps: number;
  total_bps: number;
  total_money: number;
  /** Quantity as a fraction of the average bar volume. */
  participation: number;
  adv_units: number;
  bar_volatility: number;
}

/** One child order of an execution plan, placed `bar_offset` bars after the first. */
export interface ExecutionSlice {
  bar_offset: number;
  quantity: number;
}

/** The recommended way to execute an order. */
export interface ExecutionPlan {
  strategy: 'single' | 'twap';
  order_type: 'market' | 'limit';
  /** For a limit plan, a marketable cap: last close ± (half spread + impact budget). */
  limit_price?: number;
  slices: ExecutionSlice[];
  /** False when even `maxSlices` slices exceed the impact or participation budget. */
  within_budget: boolean;
  expected: CostEstimate;
  single_order: CostEstimate;
  savings_money: number;
}

interface Market {
  close: number;
  advUnits: number;
  barVolatility: number;
  spreadBps: number;
}

function marketOf(bars: readonly Bar[], p: CostParams): Market {
  const last = bars[bars.length - 1];
  if (last === undefined) throw new ValidationError('bars', 'must hold at least one bar (got none)');
  const start = Math.max(0, bars.length - p.lookbackBars);
  const returns = new RollingWindow(p.lookbackBars);
  let volume = 0;
  let range = 0;
  for (let i = start; i < bars.length; i++) {
    const bar = bars[i] as Bar;
    volume += bar.volume;
    range += (bar.high - bar.low) / bar.close;
    const prev = bars[i - 1];
    if (prev !== undefined) returns.push(bar.close / prev.close - 1);
  }
  const count = bars.length - start;
  const sigma = returns.size >= 2 ? returns.sampleStdDev() : 0;
  const estimatedSpread = Math.max(p.minSpreadBps, p.spreadRangeFactor * (range / count) * 10_000);
  // A floor of one unit keeps impact finite on bars that report no volume.
  return {
    close: last.close,
    advUnits: Math.max(1, volume / count),
    barVolatility: sigma,
    spreadBps: p.spreadBps ?? estimatedSpread,
  };
}

function estimate(quantity: number, m: Market, p: CostParams): CostEstimate {
  const notional = quantity * m.close;
  const commission = Math.max(
    p.minCommissionMoney,
    quantity * p.commissionPerUnit + (notional * p.commissionBps) / 10_000,
  );
  const commissionBps = notional > 0 ? (commission / notional) * 10_000 : 0;
  const participation = quantity / m.advUnits;
  const impactBps = p.impactCoefficient * m.barVolatility * Math.sqrt(participation) * 10_000;
  const halfSpread = m.spreadBps / 2;
  const totalBps = commissionBps + halfSpread + impactBps;
  return {
    notional_money: notional,
    commission_money: commission,
    commission_bps: commissionBps,
    spread_bps: m.spreadBps,
    half_spread_bps: halfSpread,
    impact_bps: impactBps,
    total_bps: totalBps,
    total_money: (totalBps * notional) / 10_000,
    participation,
    adv_units: m.advUnits,
    bar_volatility: m.barVolatility,
  };
}

/**
 * Estimates the cost of executing `order` at once after the last of `bars` (oldest first).
 * @remarks Cost: O(lookbackBars) per call.
 * @throws ValidationError naming the bad order field or parameter, or `bars` when empty.
 */
export function estimateCosts(
  order: CostOrder,
  bars: readonly Bar[],
  params?: CostParamsInput,
): CostEstimate {
  const p = compileCostParams(params);
  const o = parseParams(costOrderSchema, order, 'order');
  return estimate(o.quantity, marketOf(bars, p), p);
}

/** Splits `quantity` into `n` near-equal parts; whole units stay whole, the remainder going first. */
function split(quantity: number, n: number): number[] {
  if (!Number.isInteger(quantity)) return Array.from({ length: n }, () => quantity / n);
  const base = Math.floor(quantity / n);
  const extra = quantity - base * n;
  return Array.from({ length: n }, (_, i) => base + (i < extra ? 1 : 0)).filter((q) => q > 0);
}

/**
 * Plans `order`'s execution: the fewest TWAP slices (one per bar) whose square-root impact stays
 * within `maxImpactBps` and whose participation stays within `maxParticipation`, capped at
 * `maxSlices`; a limit order when the spread is at least `limitOrderMinSpreadBps`.
 * @remarks Slicing trades impact for timing risk, which this model does not price; the budget is
 * what stops it from slicing forever.
 */
export function optimizeExecution(
  order: CostOrder,
  bars: readonly Bar[],
  params?: CostParamsInput,
): ExecutionPlan {
  const p = compileCostParams(params);
  const o = parseParams(costOrderSchema, order, 'order');
  const m = marketOf(bars, p);
  let n = 1;
  let child = estimate(o.quantity, m, p);
  const fits = (e: CostEstimate) => e.impact_bps <= p.maxImpactBps && e.participation <= p.maxParticipation;
  while (!fits(child) && n < p.maxSlices) {
    n++;
    child = estimate(o.quantity / n, m, p);
  }
  const quantities = split(o.quantity, n);
  const slices = quantities.map((quantity, i) => ({ bar_offset: i, quantity }));
  const parts = quantities.map((q) => estimate(q, m, p));
  const totalMoney = parts.reduce((s, e) => s + e.total_money, 0);
  const notional = o.quantity * m.close;
  const single = estimate(o.quantity, m, p);
  const expected: CostEstimate = {
    ...single,
    commission_money: parts.reduce((s, e) => s + e.commission_money, 0),
    impact_bps: parts.reduce((s, e) => s + e.impact_bps * e.notional_money, 0) / notional,
    participation: Math.max(...parts.map((e) => e.participation)),
    total_money: totalMoney,
    total_bps: (totalMoney / notional) * 10_000,
  };
  expected.commission_bps = (expected.commission_money / notional) * 10_000;
  const limit = m.spreadBps >= p.limitOrderMinSpreadBps;
  const sideSign = o.side === 'buy' ? 1 : -1;
  return {
    strategy: n === 1 ? 'single' : 'twap',
    order_type: limit ? 'limit' : 'market',
    ...(limit
      ? { limit_price: m.close * (1 + (sideSign * (m.spreadBps / 2 + p.maxImpactBps)) / 10_000) }
      : {}),
    slices,
    within_budget: fits(child),
    expected,
    single_order: single,
    savings_money: single.total_money - totalMoney,
  };
}
