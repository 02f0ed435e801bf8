/**
 * One mapping from a trading strategy to a sandbox backtest, shared by `POST /backtest` and
 * `conclave backtest`, so the same strategy runs the same backtest wherever it is started.
 */
import { ValidationError } from '../../core/errors.ts';
import { VEGA_SPX, VEGA_STOCKS, type BarInterval } from '../market-data/index.ts';
import {
  compileBacktestOptions,
  type BacktestOptions,
  type BacktestPolicyName,
  type CompiledBacktestOptions,
} from '../sandbox/index.ts';
import type { TradingStrategy } from './strategy.ts';

/** What the caller of a backtest decides besides the strategy: the run id, the data, the window. */
export interface BacktestOverrides {
  /** The run's id (`options.runId`). */
  runId: string;
  /**
   * The bar interval of the caller's own data (`conclave backtest --data-dir`): the strategy's
   * symbols are then used as written. Absent, they are resolved against the bundled data, which
   * also decides the interval.
   */
  interval?: BarInterval;
  /** First trading day; wins over `parameters.backtest.from`. */
  from?: string;
  /** Last trading day, inclusive; wins over `parameters.backtest.to`. */
  to?: string;
  /** Wins over `parameters.backtest.initialCashMoney`. */
  initialCashMoney?: number;
  /** Wins over `parameters.backtest.policy`. */
  policy?: BacktestPolicyName;
}

/** What a backtest of a strategy runs on and with. */
export interface BacktestPlan {
  /** The symbols to fetch (bundled ones by their data name: `SPX`, `AAPL`, …), sorted, once each. */
  readonly symbols: readonly string[];
  readonly interval: BarInterval;
  /** The options as planned, for `runBacktest`. */
  readonly options: BacktestOptions;
  /** The same options validated (times as epoch milliseconds). */
  readonly compiled: CompiledBacktestOptions;
}

const SPX_NAMES: ReadonlySet<string> = new Set([VEGA_SPX, '^GSPC', 'SP500', 'GSPC']);
const STOCKS: ReadonlySet<string> = new Set(VEGA_STOCKS);
const COVERAGE =
  `the bundled data covers ${VEGA_SPX} (S&P 500, daily, 2000-01-03 to 2020-04-17) and ` +
  `${VEGA_STOCKS.join(', ')} (monthly, 2000 to 2010)`;

/** Bars per year by interval, for annualised metrics and the risk agent's volatility. */
const BARS_PER_YEAR: Partial<Record<BarInterval, number>> = { '1d': 252, '1wk': 52, '1mo': 12 };

/** Agent parameter groups a strategy may give under `parameters`, merged over the mapping. */
const AGENT_GROUPS = ['momentum', 'risk', 'correlation'] as const;
/** Position-handling parameters a strategy may give under `parameters`, passed as they are. */
const POSITION_KEYS = ['rebalanceBand', 'exitOnTrendReversal'] as const;
/** Run options the request (or flags) set, and so `parameters.backtest` may not. */
const RESERVED_RUN_KEYS = ['runId', 'strategy'] as const;

/**
 * The backtest a strategy asks for, built in this order, each step overriding the one before:
 * 1. the template mapping, as the live planner maps a strategy onto its agents (`rocBars` from
 *    `lookback_period`, `minStrength` from `signal_threshold`, `maxPositionFraction` from
 *    `position_size`, the risk lookback and bars per year from the interval; monthly data warms up
 *    for 18 bars and tolerates 45-day gaps);
 * 2. agent overrides: `parameters.momentum`, `parameters.risk`, `parameters.correlation`,
 *    `parameters.rebalanceBand`, `parameters.exitOnTrendReversal`;
 * 3. `parameters.backtest`: the run (initialCashMoney, costs, policy, allowShort, maxGrossLeverage,
 *    warmupBars, maxGapDays, barsPerYear, seed, from, to);
 * 4. `overrides`: what the request or command line says for this run.
 * @remarks Field names in errors are the strategy's (`parameters.momentum.slowBars`,
 * `symbols[1]`) or the override's (`from`, `initialCashMoney`); callers rename them to their own
 * input's (`strategy.parameters…` in the API, `--from` in the CLI).
 * @throws ValidationError naming the field: a symbol without bundled data, daily and monthly
 * symbols mixed, `from` after `to`, or a parameter the sandbox refuses.
 */
export function backtestPlanFor(strategy: TradingStrategy, overrides: BacktestOverrides): BacktestPlan {
  const { symbols, interval } =
    overrides.interval === undefined
      ? bundledSeries(strategy.symbols)
      : { symbols: [...new Set(strategy.symbols)].sort(), interval: overrides.interval };
  const p = strategy.parameters;
  const lookback = strategy.lookback_period;
  const perYear = BARS_PER_YEAR[interval] ?? 252;
  const monthly = interval === '1mo';

  // 1. The template mapping.
  const agents: Record<string, unknown> = {
    momentum: {
      rocBars: Math.min(500, Math.max(1, lookback)),
      minStrength: Math.min(1, num(p['signal_threshold'], 0.15)),
    },
    risk: {
      lookbackBars: Math.max(10, lookback * 3),
      maxPositionFraction: num(p['position_size'], 0.2),
      barsPerYear: perYear,
    },
  };
  // 2. Agent overrides.
  for (const group of AGENT_GROUPS) {
    const given = objectAt(p, group, `${group} agent parameters`);
    if (given !== undefined) agents[group] = { ...objectAt(agents, group, ''), ...given };
  }
  for (const key of POSITION_KEYS) if (p[key] !== undefined) agents[key] = p[key];
  // 3. The run as the strategy sets it.
  const run = objectAt(p, 'backtest', 'backtest options (initialCashMoney, costs, policy, …)') ?? {};
  for (const key of RESERVED_RUN_KEYS) {
    if (run[key] !== undefined) {
      throw new ValidationError(
        `parameters.backtest.${key}`,
        key === 'strategy'
          ? 'is not a run option; give agent parameters as parameters.momentum, parameters.risk, …'
          : 'is set by the run, not the strategy',
      );
    }
  }
  // 4. The caller's overrides.
  const given = {
    ...(overrides.from === undefined ? {} : { from: overrides.from }),
    ...(overrides.to === undefined ? {} : { to: overrides.to }),
    ...(overrides.initialCashMoney === undefined ? {} : { initialCashMoney: overrides.initialCashMoney }),
    ...(overrides.policy === undefined ? {} : { policy: overrides.policy }),
  };
  const merged: Record<string, unknown> = {
    barsPerYear: perYear,
    // Monthly series are short (about 120 bars): a year and a half of warm-up, not a daily year.
    ...(monthly ? { warmupBars: 18, maxGapDays: 45 } : {}),
    ...run,
    ...given,
    runId: overrides.runId,
    strategy: agents,
  };
  checkWindow(merged, given);
  // Checked by compileBacktestOptions just below; an unchecked field cannot reach the sandbox.
  const options = merged as BacktestOptions;
  let compiled: CompiledBacktestOptions;
  try {
    compiled = compileBacktestOptions(options);
  } catch (err) {
    if (err instanceof ValidationError && err.field.startsWith('options.')) {
      throw renameField(err, strategyField(err.field.slice('options.'.length), given));
    }
    throw err;
  }
  return { symbols, interval, options, compiled };
}

/** The same failure under another field name (`options.strategy.risk` → `parameters.risk`). */
function renameField(err: ValidationError, field: string): ValidationError {
  const { field: _old, ...details } = err.details;
  return new ValidationError(field, err.message.slice(err.field.length + 2), details);
}

/** The bundled series for `raw` symbols: SPX aliases resolved, one interval for all. */
function bundledSeries(raw: readonly string[]): { symbols: string[]; interval: BarInterval } {
  const symbols = raw.map((name, i) => {
    const upper = name.toUpperCase();
    if (SPX_NAMES.has(upper)) return VEGA_SPX;
    if (STOCKS.has(upper)) return upper;
    throw new ValidationError(`symbols[${i}]`, `no bundled data for '${name}'; ${COVERAGE}`);
  });
  const daily = symbols.includes(VEGA_SPX);
  if (daily && symbols.some((s) => s !== VEGA_SPX)) {
    throw new ValidationError('symbols', `mixes daily and monthly series; ${COVERAGE}`);
  }
  return { symbols: [...new Set(symbols)].sort(), interval: daily ? '1d' : '1mo' };
}

/** `from` after `to` is named where `from` came from (the override or `parameters.backtest`). */
function checkWindow(merged: Record<string, unknown>, given: Record<string, unknown>): void {
  const { from, to } = merged;
  if (typeof from !== 'string' || typeof to !== 'string') return;
  if (Date.parse(from) > Date.parse(to)) {
    const field = given['from'] === undefined ? 'parameters.backtest.from' : 'from';
    throw new ValidationError(field, `must not be after to (got from ${from}, to ${to})`);
  }
}

/** A sandbox option's path (`strategy.risk.maxDrawdown`, `costs.slippageBps`) → where it was given. */
function strategyField(path: string, given: Record<string, unknown>): string {
  if (path.startsWith('strategy.')) return `parameters.${path.slice('strategy.'.length)}`;
  if (path === 'strategy') return 'parameters';
  const key = /^[^.[]+/.exec(path)?.[0] ?? path;
  if (key === 'runId' || given[key] !== undefined) return path;
  return `parameters.backtest.${path}`;
}

/** `parameters[key]` when it is an object; undefined when absent; anything else is named as wrong. */
function objectAt(
  parameters: Readonly<Record<string, unknown>>,
  key: string,
  what: string,
): Record<string, unknown> | undefined {
  const value = parameters[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(`parameters.${key}`, `must be an object of ${what}`);
  }
  return value as Record<string, unknown>;
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
