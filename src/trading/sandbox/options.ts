/**
 * Backtest options: the strategy's agent parameters, the trading window, money and costs, the
 * decision policy. Validated with zod; a bad value is a ValidationError naming its field.
 */
import { z } from 'zod';
import { correlationParamsSchema } from '../agents/correlation-agent.ts';
import { momentumParamsSchema } from '../agents/momentum-agent.ts';
import { parseParams } from '../agents/params.ts';
import { riskParamsSchema } from '../agents/risk-agent.ts';

const timeInput = z.union([
  z.number().int({ error: 'must be integer epoch milliseconds' }),
  z.string().refine((s) => !Number.isNaN(Date.parse(s)), { error: 'must be an ISO-8601 date or date-time' }),
]);

/** The decision policies a backtest can run: the coordinator's own, by name. */
export const BACKTEST_POLICIES = ['rule_based', 'weighted_average'] as const;
/** One of {@link BACKTEST_POLICIES}. */
export type BacktestPolicyName = (typeof BACKTEST_POLICIES)[number];

/**
 * Strategy parameters: the agents' parameters and how decisions become position changes.
 * @remarks `rebalanceBand` stops a trade decision in the direction already held from resizing the
 * position unless the target differs from the holding by more than that fraction of the target:
 * without it the risk agent's size, which moves a little every bar, would trade every bar.
 */
export const strategyParamsSchema = z.object({
  momentum: momentumParamsSchema.optional(),
  risk: riskParamsSchema.optional(),
  correlation: correlationParamsSchema.optional(),
  rebalanceBand: z.number().min(0).max(10).default(0.25),
  exitOnTrendReversal: z.boolean().default(true),
});

/** Costs charged by the paper broker. */
export const costOptionsSchema = z.object({
  slippageBps: z.number().min(0).max(10_000).default(5),
  commissionPerUnit: z.number().min(0).max(1e6).default(0.005),
  commissionBps: z.number().min(0).max(10_000).default(0),
  minCommissionMoney: z.number().min(0).max(1e6).default(1),
});

/**
 * The zod schema of {@link BacktestOptions}.
 * @remarks `maxGapDays` (daily bars) defaults to 7 rather than the validator's 5 because real
 * exchanges do close for longer than a long weekend: the S&P 500 data has no bar from 2001-09-10
 * to 2001-09-17. `warmupBars` bars before `from` feed the agents but never trade.
 */
export const backtestOptionsSchema = z
  .object({
    runId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'must be 1–64 letters, digits, _ . or -' })
      .default('backtest'),
    from: timeInput.optional(),
    to: timeInput.optional(),
    warmupBars: z.number().int().min(0).max(100_000).default(250),
    maxGapDays: z.number().gt(0).max(366).default(7),
    initialCashMoney: z.number().gt(0).max(1e15).default(100_000),
    costs: costOptionsSchema.default(costOptionsSchema.parse({})),
    allowShort: z.boolean().default(true),
    maxGrossLeverage: z.number().gt(0).max(100).default(1),
    policy: z.enum(BACKTEST_POLICIES).default('rule_based'),
    strategy: strategyParamsSchema.default(strategyParamsSchema.parse({})),
    barsPerYear: z.number().gt(0).max(1_000_000).default(252),
    riskFreeRateAnnual: z.number().min(-1).max(1).default(0),
    seed: z.number().int().default(0),
  })
  .refine((o) => o.from === undefined || o.to === undefined || epochMs(o.from) <= epochMs(o.to, true), {
    path: ['from'],
    error: 'must not be after to',
  });

/** Backtest options as given; every field optional. */
export type BacktestOptions = z.input<typeof backtestOptionsSchema>;
/** Validated, complete backtest options, times resolved to epoch milliseconds. */
export type CompiledBacktestOptions = Omit<z.output<typeof backtestOptionsSchema>, 'from' | 'to'> & {
  readonly fromMs: number | undefined;
  readonly toMs: number | undefined;
};

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Epoch ms of a time input; a date-only end bound covers that whole day. */
function epochMs(value: number | string, endOfDay = false): number {
  if (typeof value === 'number') return value;
  const dateOnly = ISO_DATE.test(value);
  const ms = Date.parse(dateOnly ? `${value}T00:00:00Z` : value);
  return dateOnly && endOfDay ? ms + 86_400_000 - 1 : ms;
}

/**
 * Validates backtest options.
 * @throws ValidationError naming the field, e.g. `options.strategy.momentum.slowBars`.
 */
export function compileBacktestOptions(input?: BacktestOptions): CompiledBacktestOptions {
  const { from, to, ...rest } = parseParams(backtestOptionsSchema, input, 'options');
  return {
    ...rest,
    fromMs: from === undefined ? undefined : epochMs(from),
    toMs: to === undefined ? undefined : epochMs(to, true),
  };
}
