import { z } from 'zod';
import { ValidationError } from '../core/errors.ts';
import type { BarInterval } from '../trading/market-data/index.ts';
import { VEGA_SPX, VEGA_STOCKS } from '../trading/market-data/index.ts';
import type { TradingStrategy } from '../trading/planner/index.ts';
import { BACKTEST_POLICIES, compileBacktestOptions, type BacktestOptions } from '../trading/sandbox/index.ts';
import { idSchema } from './api-schemas.ts';
import { renamed, strategyBodySchema } from './strategy-input.ts';

const DATE = 'must be an ISO-8601 date (2008-01-02) or UTC date-time';
const dateSchema = z.union([z.iso.date(), z.iso.datetime()], { error: DATE });
const CASH = 'must be a number of money units > 0 and at most 1e15';

/** POST /backtest's body: a stored strategy's id or an inline strategy, the window, cash, policy. */
export const backtestBodySchema = z.strictObject({
  strategy_id: idSchema.optional().describe('a stored strategy (POST /strategies); or give `strategy`'),
  strategy: strategyBodySchema.optional().describe('an inline strategy, as POST /strategies takes it'),
  from: dateSchema.optional().describe('first trading day (earlier bars only warm the agents up)'),
  to: dateSchema.optional().describe('last trading day, inclusive'),
  initial_cash: z.number({ error: CASH }).positive(CASH).max(1e15, CASH).optional(),
  policy: z.enum(BACKTEST_POLICIES).optional().describe('the coordinator decision policy'),
});

/** The body of POST /backtest. */
export type BacktestBody = z.infer<typeof backtestBodySchema>;

/** What a backtest of a strategy on the bundled data runs on and with. */
export interface BacktestPlan {
  /** Bundled symbols, by their data name (`SPX`, `AAPL`, …). */
  readonly symbols: readonly string[];
  readonly interval: BarInterval;
  readonly options: BacktestOptions;
}

const SPX_NAMES: ReadonlySet<string> = new Set([VEGA_SPX, '^GSPC', 'SP500', 'GSPC']);
const STOCKS: ReadonlySet<string> = new Set(VEGA_STOCKS);
const COVERAGE =
  `the bundled data covers ${VEGA_SPX} (S&P 500, daily, 2000-01-03 to 2020-04-17) and ` +
  `${VEGA_STOCKS.join(', ')} (monthly, 2000 to 2010)`;

/** `parameters[key]` when it is an object of agent parameters; anything else is named as wrong. */
function objectAt(parameters: Readonly<Record<string, unknown>>, key: string): Record<string, unknown> {
  const value = parameters[key];
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(`strategy.parameters.${key}`, `must be an object of ${key} agent parameters`);
  }
  return value as Record<string, unknown>;
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/**
 * Maps a strategy and the request onto a sandbox run over the bundled real data, the way the
 * planner maps a strategy's parameters onto the live agents (`rocBars` from the lookback,
 * `minStrength` from `signal_threshold`, `maxPositionFraction` from `position_size`); agent
 * parameters given as `parameters.momentum`, `parameters.risk` or `parameters.correlation` (as a
 * strategy file for `conclave backtest` gives them) override those.
 * @throws ValidationError naming the field: a symbol without bundled data
 * (`strategy.symbols[1]`), daily and monthly symbols mixed, or `from` after `to`.
 */
export function planBacktest(strategy: TradingStrategy, body: BacktestBody, runId: string): BacktestPlan {
  const symbols = strategy.symbols.map((raw, i) => {
    const upper = raw.toUpperCase();
    if (SPX_NAMES.has(upper)) return VEGA_SPX;
    if (STOCKS.has(upper)) return upper;
    throw new ValidationError(`strategy.symbols[${i}]`, `no bundled data for '${raw}'; ${COVERAGE}`);
  });
  const daily = symbols.includes(VEGA_SPX);
  if (daily && symbols.some((s) => s !== VEGA_SPX)) {
    throw new ValidationError('strategy.symbols', `mixes daily and monthly series; ${COVERAGE}`);
  }
  if (body.from !== undefined && body.to !== undefined && Date.parse(body.from) > Date.parse(body.to)) {
    throw new ValidationError('from', `must not be after to (got from ${body.from}, to ${body.to})`);
  }
  const p = strategy.parameters;
  const lookback = strategy.lookback_period;
  const perYear = daily ? 252 : 12;
  const options: BacktestOptions = {
    runId,
    ...(body.from === undefined ? {} : { from: body.from }),
    ...(body.to === undefined ? {} : { to: body.to }),
    ...(body.initial_cash === undefined ? {} : { initialCashMoney: body.initial_cash }),
    ...(body.policy === undefined ? {} : { policy: body.policy }),
    barsPerYear: perYear,
    // Monthly series are short (about 120 bars): a year and a half of warm-up, not a daily year.
    ...(daily ? {} : { warmupBars: 18, maxGapDays: 45 }),
    strategy: {
      momentum: {
        rocBars: Math.min(500, Math.max(1, lookback)),
        minStrength: Math.min(1, num(p['signal_threshold'], 0.15)),
        ...objectAt(p, 'momentum'),
      },
      risk: {
        lookbackBars: Math.max(10, lookback * 3),
        maxPositionFraction: num(p['position_size'], 0.2),
        barsPerYear: perYear,
        ...objectAt(p, 'risk'),
      },
      ...(p['correlation'] === undefined ? {} : { correlation: objectAt(p, 'correlation') }),
    },
  };
  try {
    compileBacktestOptions(options);
  } catch (err) {
    // Agent parameters come from the strategy's `parameters.<agent>`; name them there.
    if (err instanceof ValidationError && err.field.startsWith('options.strategy.')) {
      throw renamed(err, `strategy.parameters.${err.field.slice('options.strategy.'.length)}`);
    }
    throw err;
  }
  return { symbols: [...new Set(symbols)].sort(), interval: daily ? '1d' : '1mo', options };
}
