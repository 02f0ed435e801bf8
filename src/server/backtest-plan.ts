import { z } from 'zod';
import { ValidationError } from '../core/errors.ts';
import { backtestPlanFor, type BacktestPlan, type TradingStrategy } from '../trading/planner/index.ts';
import { BACKTEST_POLICIES } from '../trading/sandbox/index.ts';
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

export type { BacktestPlan } from '../trading/planner/index.ts';

/** Where a planner field is in POST /backtest's body (`parameters.risk` → `strategy.parameters.risk`). */
function bodyField(field: string): string {
  if (field.startsWith('parameters') || field.startsWith('symbols')) return `strategy.${field}`;
  if (field === 'initialCashMoney') return 'initial_cash';
  return field;
}

/**
 * The backtest a request asks for: the strategy through {@link backtestPlanFor} (the mapping the
 * CLI uses too) on the bundled real data, with the body's window, cash and policy as overrides.
 * @throws ValidationError naming the body's field: a symbol without bundled data
 * (`strategy.symbols[1]`), daily and monthly symbols mixed, `from` after `to`, or a parameter the
 * sandbox refuses (`strategy.parameters.momentum.slowBars`).
 */
export function planBacktest(strategy: TradingStrategy, body: BacktestBody, runId: string): BacktestPlan {
  try {
    return backtestPlanFor(strategy, {
      runId,
      ...(body.from === undefined ? {} : { from: body.from }),
      ...(body.to === undefined ? {} : { to: body.to }),
      ...(body.initial_cash === undefined ? {} : { initialCashMoney: body.initial_cash }),
      ...(body.policy === undefined ? {} : { policy: body.policy }),
    });
  } catch (err) {
    if (err instanceof ValidationError) {
      const field = bodyField(err.field);
      if (field !== err.field) throw renamed(err, field);
    }
    throw err;
  }
}
