import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConclaveError, ValidationError } from '../../../src/core/index.ts';
import { PaperBroker } from '../../../src/trading/agents/index.ts';
import { orderRequestSchema, plainMarketOrder } from '../../../src/trading/agents/paper-orders.ts';
import type { Bar } from '../../../src/trading/market-data/bar.ts';
import { DAY_MS } from './bars.ts';

const T0 = Date.UTC(2024, 0, 2);
function bar(i: number, open: number, high: number, low: number, close: number): Bar {
  return { timestamp: T0 + i * DAY_MS, open, high, low, close, volume: 1_000 };
}
const noCosts = { slippageBps: 0, commissionPerUnit: 0, minCommissionMoney: 0 };

describe('PaperBroker', () => {
  it('fills a market order at the next bar open with slippage and commission', () => {
    const broker = new PaperBroker({
      symbols: ['AAA'],
      initialCashMoney: 10_000,
      slippageBps: 10,
      commissionPerUnit: 0.01,
      minCommissionMoney: 1,
    });
    broker.onBar('AAA', bar(0, 100, 101, 99, 100));
    const id = broker.submit({ symbol: 'AAA', side: 'buy', quantity: 50 });
    const report = broker.onBar('AAA', bar(1, 102, 104, 101, 103));
    expect(report.fills).toHaveLength(1);
    const fill = report.fills[0]!;
    expect(fill).toMatchObject({ orderId: id, quantity: 50, timestampMs: T0 + DAY_MS });
    expect(fill.price).toBeCloseTo(102 * 1.001, 10);
    expect(fill.commissionMoney).toBe(1); // 50 × 0.01 = 0.50 < the 1.00 minimum
    expect(broker.cashMoney).toBeCloseTo(10_000 - 50 * 102.102 - 1, 9);
    expect(broker.positionUnits('AAA')).toBe(50);
    expect(broker.unrealizedPnlMoney()).toBeCloseTo(50 * (103 - 102.102), 9);
    expect(broker.equityMoney()).toBeCloseTo(broker.cashMoney + 50 * 103, 9);
  });

  it('never fills on the bar the order was placed after, only the next', () => {
    const broker = new PaperBroker({ symbols: ['AAA'], ...noCosts });
    broker.onBar('AAA', bar(0, 100, 100, 100, 100));
    broker.submit({ symbol: 'AAA', side: 'buy', quantity: 1 });
    expect(broker.positionUnits('AAA')).toBe(0);
    expect(() => broker.onBar('AAA', bar(0, 90, 90, 90, 90))).toThrow(/^bar\.timestamp:/);
    expect(broker.onBar('AAA', bar(1, 101, 101, 101, 101)).fills[0]!.price).toBe(101);
  });

  it('fills a buy limit only when the next bar trades through it, at the limit or a better open', () => {
    const broker = new PaperBroker({ symbols: ['AAA'], ...noCosts });
    broker.onBar('AAA', bar(0, 100, 100, 100, 100));
    const id = broker.submit({ symbol: 'AAA', side: 'buy', quantity: 10, type: 'limit', limitPrice: 95 });
    expect(broker.onBar('AAA', bar(1, 99, 100, 95, 97)).fills).toEqual([]); // touched, not through
    expect(broker.orders().find((o) => o.id === id)?.status).toBe('open');
    expect(broker.onBar('AAA', bar(2, 97, 98, 94, 96)).fills[0]!.price).toBe(95);
    broker.submit({ symbol: 'AAA', side: 'buy', quantity: 10, type: 'limit', limitPrice: 95 });
    expect(broker.onBar('AAA', bar(3, 93, 96, 92, 94)).fills[0]!.price).toBe(93); // gapped below: the open
  });

  it('fills a sell limit above the market symmetrically; cancel stops an open order', () => {
    const broker = new PaperBroker({ symbols: ['AAA'], ...noCosts });
    broker.onBar('AAA', bar(0, 100, 100, 100, 100));
    broker.submit({ symbol: 'AAA', side: 'buy', quantity: 10 });
    broker.onBar('AAA', bar(1, 100, 100, 100, 100));
    broker.submit({ symbol: 'AAA', side: 'sell', quantity: 10, type: 'limit', limitPrice: 105 });
    const cancelled = broker.submit({
      symbol: 'AAA',
      side: 'sell',
      quantity: 5,
      type: 'limit',
      limitPrice: 104,
    });
    broker.cancel(cancelled);
    expect(() => broker.cancel(cancelled)).toThrow(ConclaveError);
    expect(broker.onBar('AAA', bar(2, 101, 106, 100, 104)).fills.map((f) => [f.quantity, f.price])).toEqual([
      [10, 105],
    ]);
    expect(broker.realizedPnlMoney()).toBe(50);
    expect(broker.positionUnits('AAA')).toBe(0);
  });

  it('tracks realised and unrealised P&L through a short', () => {
    const broker = new PaperBroker({ symbols: ['AAA'], ...noCosts });
    broker.onBar('AAA', bar(0, 100, 100, 100, 100));
    broker.submit({ symbol: 'AAA', side: 'sell', quantity: 20 });
    broker.onBar('AAA', bar(1, 100, 100, 90, 90));
    expect(broker.positionUnits('AAA')).toBe(-20);
    expect(broker.unrealizedPnlMoney()).toBe(200);
    broker.submit({ symbol: 'AAA', side: 'buy', quantity: 30 }); // cover 20, go long 10
    broker.onBar('AAA', bar(2, 80, 85, 80, 85));
    expect(broker.realizedPnlMoney()).toBe(400);
    expect(broker.positions()[0]).toMatchObject({ quantity: 10, averagePrice: 80, unrealizedPnlMoney: 50 });
    expect(broker.equityMoney()).toBe(100_000 + 450);
  });

  it('rejects what it cannot fill, naming the field', () => {
    const broker = new PaperBroker({ symbols: ['AAA'], initialCashMoney: 1_000, allowShort: false });
    broker.onBar('AAA', bar(0, 100, 100, 100, 100));
    const field = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(ValidationError);
        expect((err as ValidationError).code).toBe('VALIDATION_FAILED');
        return (err as ValidationError).field;
      }
      return 'accepted';
    };
    expect(field(() => broker.submit({ symbol: 'AAA', side: 'buy', quantity: 20 }))).toBe('order.quantity');
    expect(field(() => broker.submit({ symbol: 'ZZZ', side: 'buy', quantity: 1 }))).toBe('order.symbol');
    expect(field(() => broker.submit({ symbol: 'AAA', side: 'buy', quantity: -1 }))).toBe('order.quantity');
    expect(field(() => broker.submit({ symbol: 'AAA', side: 'buy', quantity: 1, type: 'limit' }))).toBe(
      'order.limitPrice',
    );
    expect(field(() => broker.submit({ symbol: 'AAA', side: 'sell', quantity: 1 }))).toBe('order.quantity');
    expect(field(() => new PaperBroker({ slippageBps: -1 }))).toBe('options.slippageBps');
    // Accepted at the last close, but the next open gaps up beyond the cash: rejected at the fill.
    broker.submit({ symbol: 'AAA', side: 'buy', quantity: 9 });
    const report = broker.onBar('AAA', bar(1, 150, 150, 150, 150));
    expect(report.fills).toEqual([]);
    expect(report.rejected[0]?.rejectReason).toMatch(/insufficient cash/);
    expect(broker.cashMoney).toBe(1_000);
  });

  it('property: cash + Σ position × mark = equity, and no fill on the bar an order was placed after', () => {
    const symbols = ['AAA', 'BBB'];
    const step = fc.record({
      moves: fc.array(fc.double({ min: -0.1, max: 0.1, noNaN: true }), { minLength: 2, maxLength: 2 }),
      orders: fc.array(
        fc.record({
          symbol: fc.constantFrom(...symbols),
          side: fc.constantFrom('buy' as const, 'sell' as const),
          quantity: fc.integer({ min: 1, max: 400 }),
          limitOffset: fc.option(fc.double({ min: -0.05, max: 0.05, noNaN: true }), { nil: undefined }),
        }),
        { maxLength: 3 },
      ),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), fc.boolean(), (steps, allowShort) => {
        const broker = new PaperBroker({ symbols, initialCashMoney: 50_000, allowShort, slippageBps: 5 });
        const close: Record<string, number> = { AAA: 100, BBB: 50 };
        const placedAt = new Map<string, number>();
        steps.forEach((s, i) => {
          symbols.forEach((symbol, k) => {
            const open = close[symbol]!;
            const next = open * (1 + s.moves[k]!);
            const b = bar(i, open, Math.max(open, next) * 1.01, Math.min(open, next) * 0.99, next);
            close[symbol] = next;
            for (const fill of broker.onBar(symbol, b).fills) {
              expect(fill.timestampMs).toBeGreaterThan(placedAt.get(fill.orderId)!);
            }
          });
          for (const o of s.orders) {
            const price = close[o.symbol]! * (1 + (o.limitOffset ?? 0));
            const request =
              o.limitOffset === undefined
                ? { symbol: o.symbol, side: o.side, quantity: o.quantity }
                : {
                    symbol: o.symbol,
                    side: o.side,
                    quantity: o.quantity,
                    type: 'limit' as const,
                    limitPrice: price,
                  };
            try {
              placedAt.set(broker.submit(request), bar(i, 1, 1, 1, 1).timestamp);
            } catch (err) {
              expect(err).toBeInstanceOf(ValidationError);
            }
          }
          const marked = symbols.reduce((sum, sym) => sum + broker.positionUnits(sym) * close[sym]!, 0);
          expect(broker.equityMoney()).toBeCloseTo(broker.cashMoney + marked, 6);
          expect(broker.equityMoney() - 50_000).toBeCloseTo(
            broker.realizedPnlMoney() + broker.unrealizedPnlMoney() - broker.commissionsMoney,
            6,
          );
          if (!allowShort) {
            // Long-only: buys are checked against cash at the fill price, sells only add cash.
            expect(broker.cashMoney).toBeGreaterThanOrEqual(-1e-9);
            symbols.forEach((sym) => expect(broker.positionUnits(sym)).toBeGreaterThanOrEqual(0));
          }
        });
      }),
      { numRuns: 200, seed: 20240102 },
    );
  });
});

describe('plainMarketOrder', () => {
  it('accepts only what the order schema accepts, and returns exactly what it would', () => {
    const field = fc.oneof(
      fc.constant(undefined),
      fc.constantFrom('buy', 'sell', 'market', 'limit', '', 'AAPL'),
      fc.double(),
      fc.integer({ min: -5, max: 500 }),
      fc.constant(null),
    );
    const request = fc.oneof(
      fc.record(
        { symbol: field, side: field, quantity: field, type: field, limitPrice: field },
        {
          requiredKeys: [],
        },
      ),
      fc.record({
        symbol: fc.constantFrom('AAPL', 'SPX'),
        side: fc.constantFrom('buy', 'sell'),
        quantity: fc.double({ min: -10, max: 1e6 }),
      }),
      fc.anything(),
    );
    fc.assert(
      fc.property(request, (r) => {
        const fast = plainMarketOrder(r);
        if (fast === undefined) return; // the schema decides, as before
        const parsed = orderRequestSchema.safeParse(r);
        expect(parsed.success).toBe(true);
        expect(fast).toStrictEqual(parsed.data);
      }),
      { seed: 5, numRuns: 2_000 },
    );
    expect(plainMarketOrder({ symbol: 'AAPL', side: 'buy', quantity: 3 })).toStrictEqual({
      symbol: 'AAPL',
      side: 'buy',
      quantity: 3,
      type: 'market',
    });
  });
});
