/**
 * The JSON payloads the built-in trading agents accept, as zod schemas. Every failure is a
 * ValidationError naming the field (`payload.order.quantity: ...`).
 */
import { z } from 'zod';
import { parseWith } from '../../coordination/index.ts';
import { BAR_INTERVALS, barSchema } from '../market-data/bar.ts';

const symbol = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(32, { error: 'must be at most 32 characters' });
const time = z.union([z.number().int().nonnegative(), z.string().min(1)], {
  error: 'must be epoch milliseconds or an ISO-8601 date',
});
const paramsObject = z.record(z.string(), z.unknown(), { error: 'must be an object' }).optional();

/** Where an agent's bars come from: given inline, or fetched from the desk's source. */
const barsSource = {
  symbol,
  interval: z.enum(BAR_INTERVALS, { error: `must be one of ${BAR_INTERVALS.join(', ')}` }).optional(),
  from: time.optional(),
  to: time.optional(),
  /** Bars given inline (oldest first); when absent the agent fetches them. */
  bars: z.array(barSchema).min(1, { error: 'must hold at least one bar' }).max(100_000).optional(),
};

/** `fetch_market_data`: one symbol's validated bars, the last `limit` of them. */
export const fetchPayloadSchema = z.strictObject({
  ...barsSource,
  limit: z.number().int().min(1).max(100_000).default(500),
});

/** `generate_signals`: the alpha call on one symbol. */
export const signalsPayloadSchema = z.strictObject({
  ...barsSource,
  strategy_type: z.enum(['momentum', 'mean_reversion']).default('momentum'),
  params: paramsObject,
  /** Mean reversion: RSI below this is oversold (buy), above 100 − this overbought (sell). */
  oversold: z.number().min(1).max(49).default(30),
});

const portfolioSchema = z.strictObject({
  equity: z.number().refine(Number.isFinite, { error: 'must be a finite number' }),
  peakEquity: z.number().refine(Number.isFinite, { error: 'must be a finite number' }),
  positionUnits: z.number().optional(),
});

/** `assess_risk`: risk of one symbol for a portfolio (default: the paper broker's book). */
export const riskPayloadSchema = z.strictObject({
  ...barsSource,
  portfolio: portfolioSchema.optional(),
  params: paramsObject,
  /** The FinAgent step-list form's `model` parameter; only value-at-risk is modelled. */
  model: z.enum(['var']).optional(),
});

/** `analyze_correlation`: portfolio impact of trading one symbol (default holdings: the broker's). */
export const correlationPayloadSchema = z.strictObject({
  ...barsSource,
  holdings: z
    .array(z.strictObject({ symbol, valueMoney: z.number().refine(Number.isFinite) }))
    .max(1000)
    .optional(),
  params: paramsObject,
});

/** `estimate_costs` / `optimize_execution`: cost of an order; a zero quantity costs nothing. */
export const costPayloadSchema = z.strictObject({
  ...barsSource,
  order: z.strictObject({
    /** The estimate is symmetric in side; `optimize_execution` uses it for the limit price. */
    side: z.enum(['buy', 'sell']).default('buy'),
    quantity: z.number().min(0, { error: 'must be 0 or more' }).refine(Number.isFinite, {
      error: 'must be a finite number',
    }),
  }),
  params: paramsObject,
});

/** `execute_order`: a paper order, filled at the symbol's next bar. */
export const orderPayloadSchema = z
  .strictObject({
    symbol,
    side: z.enum(['buy', 'sell']),
    quantity: z.number().gt(0, { error: 'must be greater than 0' }),
    type: z.enum(['market', 'limit']).default('market'),
    limit_price: z.number().gt(0).optional(),
    /** The decision the order carries out, kept with the result for the audit. */
    decision_id: z.string().min(1).optional(),
  })
  .refine((o) => o.type !== 'limit' || o.limit_price !== undefined, {
    path: ['limit_price'],
    error: 'is required for a limit order',
  });

/** `get_portfolio`: the paper book; `symbol` narrows the positions. */
export const portfolioPayloadSchema = z.strictObject({ symbol: symbol.optional() });

/** Parses a payload with `schema`; throws ValidationError naming `payload.<field>`. */
export function parsePayload<S extends z.ZodType>(schema: S, payload: unknown): z.output<S> {
  return parseWith(schema, payload, 'payload');
}
