/**
 * The built-in agents' handlers: each parses its JSON payload, runs the pure analytics from
 * `trading/agents` and returns a JSON object.
 */
import type { JsonObject } from '../../core/task.ts';
import {
  analyzeMomentum,
  assessCorrelation,
  assessRisk,
  estimateCosts,
  optimizeExecution,
  type CostParamsInput,
  type Holding,
  type MomentumResult,
} from '../agents/index.ts';
import type { Bar } from '../market-data/bar.ts';
import { defaultInterval, type DeskBars, type TradingDesk } from './desk.ts';
import {
  correlationPayloadSchema,
  costPayloadSchema,
  fetchPayloadSchema,
  parsePayload,
  riskPayloadSchema,
  signalsPayloadSchema,
} from './payloads.ts';

/** The fields every bar-reading payload shares. */
interface BarsInput {
  symbol: string;
  interval?: DeskBars['interval'] | undefined;
  from?: string | number | undefined;
  to?: string | number | undefined;
  bars?: Bar[] | undefined;
}

/** The payload's inline bars, else the desk's (validated) bars for its symbol and range. */
async function barsOf(desk: TradingDesk, p: BarsInput, signal: AbortSignal): Promise<DeskBars> {
  if (p.bars !== undefined) {
    return {
      symbol: p.symbol,
      interval: p.interval ?? defaultInterval(p.symbol),
      source: 'payload',
      bars: p.bars,
    };
  }
  return desk.fetch({ symbol: p.symbol, interval: p.interval, from: p.from, to: p.to }, signal);
}

const asOf = (bars: readonly Bar[]): string | null => {
  const last = bars[bars.length - 1];
  return last === undefined ? null : new Date(last.timestamp).toISOString();
};

const json = (value: object): JsonObject => value as JsonObject;

/** `fetch_market_data`: validated bars of one symbol. */
export async function fetchMarketData(
  desk: TradingDesk,
  payload: unknown,
  signal: AbortSignal,
): Promise<JsonObject> {
  const p = parsePayload(fetchPayloadSchema, payload);
  const series = p.bars === undefined ? await desk.fetch(p, signal) : await barsOf(desk, p, signal);
  const bars = series.bars.slice(Math.max(0, series.bars.length - p.limit));
  return json({ ...series, count: bars.length, as_of: asOf(bars), bars });
}

/**
 * Mean reversion on the momentum agent's RSI: oversold → `up`, overbought → `down`, strength the
 * distance past the band; in the momentum analysis shape so the coordinator's policies read it.
 */
function meanReversion(m: MomentumResult, oversold: number): MomentumResult {
  const rsi = m.indicators.rsi;
  if (rsi === null) return m;
  const overbought = 100 - oversold;
  const past =
    rsi < oversold ? (oversold - rsi) / oversold : rsi > overbought ? (rsi - overbought) / oversold : 0;
  const strength = Math.min(1, past);
  const direction = rsi < oversold ? 'up' : rsi > overbought ? 'down' : 'neutral';
  const confidence = direction === 'neutral' ? 0 : Math.min(1, 0.6 + 0.4 * strength);
  return {
    ...m,
    trend_direction: direction,
    momentum_strength: strength,
    confidence,
    score: direction === 'up' ? strength : -strength,
  };
}

/** `generate_signals`: the momentum (or mean reversion) call on one symbol. */
export async function generateSignals(
  desk: TradingDesk,
  payload: unknown,
  signal: AbortSignal,
): Promise<JsonObject> {
  const p = parsePayload(signalsPayloadSchema, payload);
  const series = await barsOf(desk, p, signal);
  const momentum = analyzeMomentum(series.bars, p.params);
  const analysis = p.strategy_type === 'mean_reversion' ? meanReversion(momentum, p.oversold) : momentum;
  return json({
    symbol: series.symbol,
    interval: series.interval,
    agent: 'momentum',
    strategy_type: p.strategy_type,
    as_of: asOf(series.bars),
    analysis,
  });
}

/** `assess_risk`: risk level, VaR and position size for one symbol. */
export async function assessRiskHandler(
  desk: TradingDesk,
  payload: unknown,
  signal: AbortSignal,
): Promise<JsonObject> {
  const p = parsePayload(riskPayloadSchema, payload);
  const series = await barsOf(desk, p, signal);
  const broker = desk.broker;
  const given = p.portfolio;
  const portfolio =
    given !== undefined
      ? { equity: given.equity, peakEquity: given.peakEquity, positionUnits: given.positionUnits ?? 0 }
      : {
          equity: broker.equityMoney(),
          peakEquity: broker.peakEquityMoney,
          positionUnits: broker.positionUnits(series.symbol),
        };
  const analysis = assessRisk(series.bars, portfolio, p.params);
  return json({
    symbol: series.symbol,
    interval: series.interval,
    agent: 'risk',
    as_of: asOf(series.bars),
    analysis,
  });
}

/** `analyze_correlation`: portfolio impact of trading one symbol given the holdings. */
export async function analyzeCorrelation(
  desk: TradingDesk,
  payload: unknown,
  signal: AbortSignal,
): Promise<JsonObject> {
  const p = parsePayload(correlationPayloadSchema, payload);
  const series = await barsOf(desk, p, signal);
  const holdings: Holding[] =
    p.holdings ??
    desk.broker
      .positions()
      .filter((h) => h.quantity !== 0 && h.symbol !== series.symbol)
      .map((h) => ({ symbol: h.symbol, valueMoney: h.quantity * h.markPrice }));
  const barsBySymbol: Record<string, readonly Bar[]> = { [series.symbol]: series.bars };
  for (const h of holdings) {
    if (barsBySymbol[h.symbol] !== undefined) continue;
    try {
      const other = await desk.fetch({ symbol: h.symbol, interval: series.interval, to: p.to }, signal);
      barsBySymbol[h.symbol] = other.bars;
    } catch {
      // A holding without data is reported in `excluded` by the analysis, not an error.
    }
  }
  const analysis = assessCorrelation(series.symbol, barsBySymbol, holdings, p.params);
  return json({
    symbol: series.symbol,
    interval: series.interval,
    agent: 'correlation',
    as_of: asOf(series.bars),
    analysis,
  });
}

/** `estimate_costs` (`optimize` false) or `optimize_execution` (`optimize` true) for one order. */
export async function costHandler(
  desk: TradingDesk,
  payload: unknown,
  signal: AbortSignal,
  optimize: boolean,
): Promise<JsonObject> {
  const p = parsePayload(costPayloadSchema, payload);
  const series = await barsOf(desk, p, signal);
  const head = {
    symbol: series.symbol,
    interval: series.interval,
    agent: 'transaction_cost',
    as_of: asOf(series.bars),
    order: p.order,
  };
  if (p.order.quantity === 0)
    return json({ ...head, [optimize ? 'plan' : 'estimate']: null, reason: 'zero_quantity' });
  const params = p.params as CostParamsInput | undefined;
  return optimize
    ? json({ ...head, plan: optimizeExecution(p.order, series.bars, params) })
    : json({ ...head, estimate: estimateCosts(p.order, series.bars, params) });
}
