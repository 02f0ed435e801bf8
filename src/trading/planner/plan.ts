/**
 * The DAG planner: a strategy becomes a workflow definition for the engine — fetch data → per-symbol
 * analysis fanned out to the momentum and correlation agents → risk → transaction cost →
 * decision → execution.
 */
import type { ForEach, StepDefinition, WorkflowDefinition } from '../../workflow/index.ts';
import { defaultInterval } from '../builtin/desk.ts';
import { STRATEGY_TEMPLATES, type TradingStrategy } from './strategy.ts';

/** The builtin step that turns the joined analyses into decisions and orders. */
export const DECIDE_BUILTIN = 'trading.decide';

/** Options for {@link planStrategy}. */
export interface PlanOptions {
  /** Analyse as of this date (inclusive); default: the latest data. */
  asOf?: string;
}

const item = (path: string): { $from: string } => ({ $from: `item.${path}` });
const num = (v: unknown, fallback: number): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : fallback;

/**
 * The workflow for `strategy`, named `strategy.<strategy_id>` and tagged `trading` (so an
 * emergency stop cancels it). Run it with input `{ universe: [{ symbol, interval }] }` (see
 * {@link strategyInput}).
 * @remarks The definition is pure JSON (`$from` references, no functions), so it is journaled
 * with the run and a restarted process resumes it. Agent payloads carry the fetched bars, so every
 * agent in one run analyses the same, validated window.
 */
export function planStrategy(strategy: TradingStrategy, options: PlanOptions = {}): WorkflowDefinition {
  const p = strategy.parameters;
  const templateName = typeof p['template'] === 'string' ? p['template'] : undefined;
  const template = templateName === undefined ? undefined : STRATEGY_TEMPLATES[templateName];
  const strategyType =
    p['strategy_type'] === 'mean_reversion' || template?.strategyType === 'mean_reversion'
      ? 'mean_reversion'
      : 'momentum';
  const lookback = strategy.lookback_period;
  const bars = { symbol: item('symbol'), interval: item('interval'), bars: item('bars') };
  const forEach = (items: string): ForEach => ({ items, join: 'fail_fast' });
  const steps: StepDefinition[] = [
    {
      id: 'fetch_data',
      kind: 'task',
      pattern: 'fetch_market_data',
      forEach: forEach('input.universe'),
      payload: {
        symbol: item('symbol'),
        interval: item('interval'),
        limit: Math.max(300, lookback * 3),
        ...(options.asOf === undefined ? {} : { to: options.asOf }),
      },
    },
    {
      id: 'momentum',
      kind: 'task',
      pattern: 'generate_signals',
      dependsOn: ['fetch_data'],
      forEach: forEach('steps.fetch_data.result'),
      payload: {
        ...bars,
        strategy_type: strategyType,
        oversold: num(p['oversold'], 30),
        params: { rocBars: lookback, minStrength: Math.min(1, num(p['signal_threshold'], 0.15)) },
      },
    },
    {
      id: 'correlation',
      kind: 'task',
      pattern: 'analyze_correlation',
      dependsOn: ['fetch_data'],
      forEach: forEach('steps.fetch_data.result'),
      payload: {
        ...bars,
        params: { lookbackBars: Math.max(3, lookback), minObservations: Math.min(20, lookback) },
      },
    },
    {
      id: 'risk',
      kind: 'task',
      pattern: 'assess_risk',
      dependsOn: ['momentum', 'correlation'],
      forEach: forEach('steps.fetch_data.result'),
      payload: {
        ...bars,
        params: {
          lookbackBars: Math.max(10, lookback * 3),
          maxPositionFraction: num(p['position_size'], 0.2),
        },
      },
    },
    {
      id: 'transaction_cost',
      kind: 'task',
      pattern: 'estimate_costs',
      dependsOn: ['risk'],
      forEach: forEach('steps.risk.result'),
      payload: {
        symbol: item('symbol'),
        interval: item('interval'),
        to: item('as_of'),
        order: { quantity: item('analysis.position_sizing.recommended_size') },
      },
    },
    {
      id: 'decide',
      kind: 'builtin',
      builtin: DECIDE_BUILTIN,
      dependsOn: ['transaction_cost'],
      params: { strategy_id: strategy.strategy_id },
    },
    {
      id: 'execute',
      kind: 'task',
      pattern: 'execute_order',
      dependsOn: ['decide'],
      forEach: forEach('steps.decide.result.orders'),
      payload: {
        symbol: item('symbol'),
        side: item('side'),
        quantity: item('quantity'),
        decision_id: item('decision_id'),
      },
    },
  ];
  return {
    name: `strategy.${strategy.strategy_id}`,
    description: strategy.description || strategy.name,
    tags: ['trading', 'strategy'],
    steps,
  };
}

/** The run input for a strategy's workflow: each symbol with the interval it is served at. */
export function strategyInput(strategy: TradingStrategy): {
  universe: { symbol: string; interval: string }[];
} {
  return { universe: strategy.symbols.map((symbol) => ({ symbol, interval: defaultInterval(symbol) })) };
}
