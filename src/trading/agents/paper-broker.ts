/**
 * A deterministic simulated broker for backtests and paper trading: market and limit orders
 * filled at the next bar, with slippage, commission, positions, cash and P&L.
 */
import type { z } from 'zod';
import { ConclaveError, ValidationError } from '../../core/index.ts';
import { copyRecord } from '../../core/records.ts';
import type { Bar } from '../market-data/bar.ts';
import { parseParams } from './params.ts';
import {
  orderRequestSchema,
  plainMarketOrder,
  paperBrokerOptionsSchema,
  type BarReport,
  type Fill,
  type OrderRequest,
  type PaperBrokerOptions,
  type PaperOrder,
  type PaperPosition,
} from './paper-orders.ts';

interface Book {
  quantity: number;
  averagePrice: number;
  realizedPnlMoney: number;
}

/**
 * The paper broker. Orders fill at the next bar's open for their symbol (market orders with
 * `slippageBps` against the trader); a limit order fills when that bar opens at or through the
 * limit (at the open) or trades strictly through it (at the limit, no slippage), and otherwise
 * stays open. Marks are the last close. Deterministic: no clock, no randomness.
 */
export class PaperBroker {
  readonly #o: z.output<typeof paperBrokerOptionsSchema>;
  #cash: number;
  #commissions = 0;
  #peakEquity: number;
  #nextId = 1;
  readonly #orders = new Map<string, PaperOrder>();
  /** Open orders by symbol, in submission order: a bar looks only at its own symbol's. */
  readonly #open = new Map<string, PaperOrder[]>();
  readonly #books = new Map<string, Book>();
  readonly #marks = new Map<string, { price: number; timestampMs: number } | null>();

  constructor(options?: PaperBrokerOptions) {
    this.#o = parseParams(paperBrokerOptionsSchema, options, 'options');
    this.#cash = this.#o.initialCashMoney;
    this.#peakEquity = this.#cash;
    for (const s of this.#o.symbols) this.#marks.set(s, null);
  }

  /** Cash in money (short-sale proceeds included). */
  get cashMoney(): number {
    return this.#cash;
  }

  /** Total commission paid. */
  get commissionsMoney(): number {
    return this.#commissions;
  }

  /** The highest equity seen at any bar close (for drawdown guards). */
  get peakEquityMoney(): number {
    return this.#peakEquity;
  }

  /** Cash + Σ position units × mark. */
  equityMoney(): number {
    let equity = this.#cash;
    for (const [symbol, book] of this.#books) equity += book.quantity * this.#markOf(symbol);
    return equity;
  }

  /** Realised P&L over all symbols, before commission. */
  realizedPnlMoney(): number {
    let total = 0;
    for (const book of this.#books.values()) total += book.realizedPnlMoney;
    return total;
  }

  /** Unrealised P&L at the marks. */
  unrealizedPnlMoney(): number {
    let total = 0;
    for (const [symbol, book] of this.#books)
      total += book.quantity * (this.#markOf(symbol) - book.averagePrice);
    return total;
  }

  /** Open (non-zero) positions. */
  positions(): PaperPosition[] {
    return [...this.#books]
      .filter(([, b]) => b.quantity !== 0 || b.realizedPnlMoney !== 0)
      .map(([symbol, b]) => ({
        symbol,
        quantity: b.quantity,
        averagePrice: b.averagePrice,
        markPrice: this.#markOf(symbol),
        unrealizedPnlMoney: b.quantity * (this.#markOf(symbol) - b.averagePrice),
        realizedPnlMoney: b.realizedPnlMoney,
      }));
  }

  /** Signed units held in `symbol` (0 if none). */
  positionUnits(symbol: string): number {
    return this.#books.get(symbol)?.quantity ?? 0;
  }

  /** Every order so far, in submission order (copies). */
  orders(): PaperOrder[] {
    return [...this.#orders.values()].map((o) => ({ ...o }));
  }

  /**
   * Accepts an order to fill at the symbol's next bar; returns its id.
   * @throws ValidationError naming the field: a malformed order, an unknown symbol, a short when
   * shorts are off, or an exposure-increasing order the margin rule rejects at the last close.
   */
  submit(request: OrderRequest): string {
    const placed = this.place(request);
    if ('id' in placed) return placed.id;
    throw new ValidationError(placed.field, placed.reason);
  }

  /**
   * {@link submit} for callers to whom a refused order is an outcome, not a failure (a backtest
   * records it and goes on): a short when shorts are off or a margin refusal comes back as
   * `{ field, reason }` instead of an exception, which costs a stack trace each.
   * @throws ValidationError for a malformed order or an unknown symbol.
   */
  place(request: OrderRequest): { id: string } | { field: string; reason: string } {
    const o = plainMarketOrder(request) ?? parseParams(orderRequestSchema, request, 'order');
    if (!this.#marks.has(o.symbol)) {
      throw new ValidationError(
        'order.symbol',
        `unknown symbol '${o.symbol}' (the broker has no bars for it)`,
      );
    }
    const signed = o.side === 'buy' ? o.quantity : -o.quantity;
    if (!this.#o.allowShort && this.positionUnits(o.symbol) + this.#pendingSellUnits(o.symbol) + signed < 0) {
      return {
        field: 'order.quantity',
        reason: `would sell short ${o.quantity} ${o.symbol}; shorts are off`,
      };
    }
    const mark = this.#marks.get(o.symbol);
    const price = o.type === 'limit' ? (o.limitPrice ?? 0) : (mark?.price ?? 0);
    if (price > 0) {
      const problem = this.#marginProblem(o.symbol, signed, price);
      if (problem !== null) return { field: 'order.quantity', reason: problem };
    }
    const id = `paper-${this.#nextId++}`;
    const order: PaperOrder = {
      id,
      symbol: o.symbol,
      side: o.side,
      quantity: o.quantity,
      type: o.type,
      ...(o.limitPrice === undefined ? {} : { limitPrice: o.limitPrice }),
      placedAfterMs: mark?.timestampMs ?? null,
      status: 'open',
    };
    this.#orders.set(id, order);
    const open = this.#open.get(o.symbol);
    if (open === undefined) this.#open.set(o.symbol, [order]);
    else open.push(order);
    return { id };
  }

  /** Cancels an open order. @throws ConclaveError NOT_FOUND / CONFLICT. */
  cancel(orderId: string): void {
    const order = this.#orders.get(orderId);
    if (order === undefined) throw new ConclaveError('NOT_FOUND', `no order '${orderId}'`);
    if (order.status !== 'open') throw new ConclaveError('CONFLICT', `order '${orderId}' is ${order.status}`);
    order.status = 'cancelled';
    const open = this.#open.get(order.symbol);
    if (open !== undefined)
      this.#open.set(
        order.symbol,
        open.filter((x) => x !== order),
      );
  }

  /**
   * Processes `bar` for `symbol`: fills the symbol's open orders placed before it, then marks the
   * symbol at the bar's close. Bars must arrive in time order per symbol.
   * @throws ValidationError (`bar.timestamp`) for a bar not after the previous one.
   */
  onBar(symbol: string, bar: Bar): BarReport {
    const previous = this.#marks.get(symbol);
    if (previous && bar.timestamp <= previous.timestampMs) {
      throw new ValidationError(
        'bar.timestamp',
        `must be after ${previous.timestampMs} for ${symbol} (got ${bar.timestamp})`,
      );
    }
    const report: BarReport = { fills: [], rejected: [] };
    const open = this.#open.get(symbol) ?? [];
    for (const order of open) {
      if (order.placedAfterMs !== null && bar.timestamp <= order.placedAfterMs) continue;
      const price = this.#fillPrice(order, bar);
      if (price === null) continue;
      const signed = order.side === 'buy' ? order.quantity : -order.quantity;
      const problem = this.#marginProblem(symbol, signed, price);
      if (problem !== null) {
        order.status = 'rejected';
        order.rejectReason = problem;
        report.rejected.push({ ...order });
        continue;
      }
      const fill = this.#apply(order, signed, price, bar.timestamp);
      report.fills.push(fill);
    }
    if (open.length > 0)
      this.#open.set(
        symbol,
        open.filter((o) => o.status === 'open'),
      );
    this.#marks.set(symbol, { price: bar.close, timestampMs: bar.timestamp });
    this.#peakEquity = Math.max(this.#peakEquity, this.equityMoney());
    return report;
  }

  #fillPrice(order: PaperOrder, bar: Bar): number | null {
    const buy = order.side === 'buy';
    if (order.type === 'market') return bar.open * (1 + ((buy ? 1 : -1) * this.#o.slippageBps) / 10_000);
    const limit = order.limitPrice ?? 0;
    if (buy) return bar.open <= limit ? bar.open : bar.low < limit ? limit : null;
    return bar.open >= limit ? bar.open : bar.high > limit ? limit : null;
  }

  #commission(quantity: number, price: number): number {
    const o = this.#o;
    return Math.max(
      o.minCommissionMoney,
      quantity * o.commissionPerUnit + (quantity * price * o.commissionBps) / 10_000,
    );
  }

  /** Why filling `signed` units at `price` breaks the margin rule, or null when it is fine. */
  #marginProblem(symbol: string, signed: number, price: number): string | null {
    const held = this.positionUnits(symbol);
    const after = held + signed;
    if (Math.abs(after) <= Math.abs(held) && Math.sign(after) * Math.sign(held) >= 0) return null;
    if (!this.#o.allowShort && after < 0) return `would sell short ${-after} ${symbol}; shorts are off`;
    const cashAfter = this.#cash - signed * price - this.#commission(Math.abs(signed), price);
    let equityAfter = cashAfter + after * price;
    let grossAfter = Math.abs(after) * price;
    for (const [other, book] of this.#books) {
      if (other === symbol) continue;
      equityAfter += book.quantity * this.#markOf(other);
      grossAfter += Math.abs(book.quantity) * this.#markOf(other);
    }
    if (cashAfter < 0)
      return `insufficient cash: needs ${(this.#cash - cashAfter).toFixed(2)}, has ${this.#cash.toFixed(2)}`;
    if (grossAfter > this.#o.maxGrossLeverage * equityAfter) {
      return `gross exposure ${grossAfter.toFixed(2)} would exceed ${this.#o.maxGrossLeverage} × equity ${equityAfter.toFixed(2)}`;
    }
    return null;
  }

  #apply(order: PaperOrder, signed: number, price: number, timestampMs: number): Fill {
    const book = this.#books.get(order.symbol) ?? { quantity: 0, averagePrice: 0, realizedPnlMoney: 0 };
    const held = book.quantity;
    if (held === 0 || Math.sign(held) === Math.sign(signed)) {
      const units = Math.abs(held) + Math.abs(signed);
      book.averagePrice = (Math.abs(held) * book.averagePrice + Math.abs(signed) * price) / units;
    } else {
      const closing = Math.min(Math.abs(held), Math.abs(signed));
      book.realizedPnlMoney += closing * (price - book.averagePrice) * Math.sign(held);
      if (Math.abs(signed) > Math.abs(held)) book.averagePrice = price;
    }
    book.quantity = held + signed;
    if (book.quantity === 0) book.averagePrice = 0;
    this.#books.set(order.symbol, book);
    const commission = this.#commission(order.quantity, price);
    this.#cash -= signed * price + commission;
    this.#commissions += commission;
    const fill: Fill = {
      orderId: order.id,
      symbol: order.symbol,
      side: order.side,
      quantity: order.quantity,
      price,
      commissionMoney: commission,
      timestampMs,
    };
    order.status = 'filled';
    order.fill = fill;
    return copyRecord(fill); // not a spread of a fresh object: see core/records.ts
  }

  /** Units the symbol's open sell orders would sell, as a negative number. */
  #pendingSellUnits(symbol: string): number {
    let units = 0;
    for (const o of this.#open.get(symbol) ?? []) if (o.side === 'sell') units -= o.quantity;
    return units;
  }

  #markOf(symbol: string): number {
    return this.#marks.get(symbol)?.price ?? 0;
  }
}
