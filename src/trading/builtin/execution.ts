/**
 * The execution agent's handlers: paper orders on the desk's broker, and the book they made.
 */
import type { JsonObject } from '../../core/task.ts';
import type { TradingDesk } from './desk.ts';
import { orderPayloadSchema, parsePayload, portfolioPayloadSchema } from './payloads.ts';

/**
 * `execute_order`: places a paper order that fills at the symbol's next bar.
 * @remarks The broker prices margin checks at its last mark; a symbol it has never seen is first
 * marked with the source's latest bar, so an order placed through POST /orchestrate works before
 * the live feed has shown that symbol.
 */
export async function executeOrder(
  desk: TradingDesk,
  payload: unknown,
  signal: AbortSignal,
): Promise<JsonObject> {
  const p = parsePayload(orderPayloadSchema, payload);
  if (!desk.isMarked(p.symbol)) {
    const latest = await desk.fetch({ symbol: p.symbol, limit: 1 }, signal);
    const bar = latest.bars[latest.bars.length - 1];
    if (bar !== undefined) desk.onBar(p.symbol, bar);
  }
  const orderId = desk.broker.submit({
    symbol: p.symbol,
    side: p.side,
    quantity: p.quantity,
    type: p.type,
    ...(p.limit_price === undefined ? {} : { limitPrice: p.limit_price }),
  });
  const order = desk.broker.orders().find((o) => o.id === orderId);
  return {
    order_id: orderId,
    status: order?.status ?? 'open',
    ...(p.decision_id === undefined ? {} : { decision_id: p.decision_id }),
    order: { ...order },
  };
}

/** `get_portfolio`: cash, equity, realised and unrealised P&L, positions and orders. */
export function getPortfolio(desk: TradingDesk, payload: unknown): JsonObject {
  const p = parsePayload(portfolioPayloadSchema, payload);
  const b = desk.broker;
  const keep = (symbol: string): boolean => p.symbol === undefined || symbol === p.symbol;
  return {
    cash_money: b.cashMoney,
    equity_money: b.equityMoney(),
    peak_equity_money: b.peakEquityMoney,
    realized_pnl_money: b.realizedPnlMoney(),
    unrealized_pnl_money: b.unrealizedPnlMoney(),
    commissions_money: b.commissionsMoney,
    positions: b.positions().filter((x) => keep(x.symbol)),
    orders: b.orders().filter((x) => keep(x.symbol)),
  };
}
