/**
 * The paper broker's vocabulary: its options, order requests, orders, fills, positions.
 */
import { z } from 'zod';

const finitePositive = z.number().gt(0).refine(Number.isFinite, { error: 'must be a finite number' });

/**
 * Broker options, every one optional with a default.
 * @remarks Long and short are both allowed (unless `allowShort` is false) under one simplified
 * margin rule: an order that increases gross exposure is accepted only if, after it fills, cash
 * stays ≥ 0 and gross exposure (Σ |units| × mark) stays ≤ `maxGrossLeverage` × equity. Short-sale
 * proceeds are credited to cash; there is no borrow fee, margin interest or forced liquidation.
 * Orders that only reduce a position are always accepted, so a position can always be closed.
 */
export const paperBrokerOptionsSchema = z.object({
  initialCashMoney: z.number().min(0).max(1e15).default(100_000),
  slippageBps: z.number().min(0).max(10_000).default(5),
  commissionPerUnit: z.number().min(0).max(1e6).default(0.005),
  commissionBps: z.number().min(0).max(10_000).default(0),
  minCommissionMoney: z.number().min(0).max(1e6).default(1),
  maxGrossLeverage: z.number().gt(0).max(100).default(1),
  allowShort: z.boolean().default(true),
  symbols: z.array(z.string().min(1)).default([]),
});
/** Broker options as given (all optional). */
export type PaperBrokerOptions = z.input<typeof paperBrokerOptionsSchema>;

/** An order as submitted: quantity in units; `limitPrice` required for a limit order. */
export const orderRequestSchema = z
  .object({
    symbol: z.string().min(1),
    side: z.enum(['buy', 'sell']),
    quantity: finitePositive,
    type: z.enum(['market', 'limit']).default('market'),
    limitPrice: finitePositive.optional(),
  })
  .refine((o) => o.type !== 'limit' || o.limitPrice !== undefined, {
    path: ['limitPrice'],
    error: 'is required for a limit order',
  });
/** An order request as given. */
export type OrderRequest = z.input<typeof orderRequestSchema>;
/** A validated order request. */
export type ValidOrderRequest = z.output<typeof orderRequestSchema>;

/**
 * The schema's output for a plain market order (a plain object with a symbol, a side, a finite
 * positive quantity, and no type or limit price other than `market` / absent), without zod;
 * undefined for anything else, which the caller then parses with the schema. A backtest places an
 * order on most bars; property-tested to agree with the schema.
 */
export function plainMarketOrder(request: unknown): ValidOrderRequest | undefined {
  if (
    typeof request !== 'object' ||
    request === null ||
    Object.getPrototypeOf(request) !== Object.prototype
  ) {
    return undefined;
  }
  const { symbol, side, quantity, type, limitPrice } = request as Record<string, unknown>;
  if (
    typeof symbol !== 'string' ||
    symbol.length === 0 ||
    (side !== 'buy' && side !== 'sell') ||
    typeof quantity !== 'number' ||
    !(quantity > 0) ||
    !Number.isFinite(quantity) ||
    (type !== undefined && type !== 'market') ||
    limitPrice !== undefined
  ) {
    return undefined;
  }
  return { symbol, side, quantity, type: 'market' };
}

/** One execution. `price` includes slippage; commission is charged on top. */
export interface Fill {
  orderId: string;
  symbol: string;
  side: 'buy' | 'sell';
  quantity: number;
  price: number;
  commissionMoney: number;
  timestampMs: number;
}

/** An order's life: open until filled, cancelled, or rejected at its fill bar. */
export interface PaperOrder {
  id: string;
  symbol: string;
  side: 'buy' | 'sell';
  quantity: number;
  type: 'market' | 'limit';
  limitPrice?: number;
  /** The last bar the broker had seen for the symbol when the order arrived; it fills after it. */
  placedAfterMs: number | null;
  status: 'open' | 'filled' | 'cancelled' | 'rejected';
  rejectReason?: string;
  fill?: Fill;
}

/** A position: signed units (negative = short), average entry price, mark and P&L. */
export interface PaperPosition {
  symbol: string;
  quantity: number;
  averagePrice: number;
  markPrice: number;
  unrealizedPnlMoney: number;
  realizedPnlMoney: number;
}

/** What one bar did: the fills and the orders rejected at it. */
export interface BarReport {
  fills: Fill[];
  rejected: PaperOrder[];
}
