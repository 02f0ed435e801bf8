import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Bar } from '../../../src/trading/market-data/index.ts';
import { runBacktest } from '../../../src/trading/sandbox/index.ts';
import { FAST_STRATEGY, syntheticBars } from './fixtures.ts';

/**
 * Replays the fills independently of the broker and checks every equity point against them:
 * cash = initial − Σ (signed units × price + commission), positions valued at each symbol's last
 * close, and cash + positions value = equity; every fill lands on its symbol's next bar after the
 * signal, at that bar's open with the slippage.
 */
describe('backtest accounting (property)', () => {
  it('cash + positions value = equity at every bar, and no fill comes before its signal’s next bar', async () => {
    let runsWithFills = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 50 }),
        fc.double({ min: 0, max: 0.05, noNaN: true }),
        fc.constantFrom('rule_based', 'weighted_average'),
        async (seed, symbolCount, slippageBps, commissionPerUnit, policy) => {
          const symbols = ['AAA', 'BBB', 'CCC'].slice(0, symbolCount);
          const bars = await syntheticBars(seed, symbols, 160);
          const initial = 50_000;
          const result = await runBacktest(
            { bars },
            {
              initialCashMoney: initial,
              warmupBars: 0,
              policy,
              strategy: FAST_STRATEGY,
              costs: { slippageBps, commissionPerUnit, minCommissionMoney: 0.5 },
            },
          );
          if (result.trades.length > 0) runsWithFills++;
          const nextBar = new Map<string, Map<number, Bar>>();
          for (const [symbol, series] of Object.entries(bars)) {
            const m = new Map<number, Bar>();
            series.forEach((b, i) => {
              const next = series[i + 1];
              if (next) m.set(b.timestamp, next);
            });
            nextBar.set(symbol, m);
          }
          for (const t of result.trades) {
            expect(t.fillTimestampMs).toBeGreaterThan(t.signalTimestampMs);
            const expected = nextBar.get(t.symbol)?.get(t.signalTimestampMs);
            expect(expected?.timestamp).toBe(t.fillTimestampMs);
            const slip = (t.side === 'buy' ? 1 : -1) * (slippageBps / 10_000);
            expect(t.priceMoney).toBeCloseTo((expected?.open ?? NaN) * (1 + slip), 8);
          }
          const closes = new Map<string, Map<number, number>>();
          for (const [symbol, series] of Object.entries(bars)) {
            closes.set(symbol, new Map(series.map((b) => [b.timestamp, b.close])));
          }
          let cash = initial;
          const units = new Map<string, number>();
          const lastClose = new Map<string, number>();
          let next = 0;
          for (const point of result.equity) {
            for (; next < result.trades.length; next++) {
              const f = result.trades[next]!;
              if (f.fillTimestampMs > point.timestampMs) break;
              const signed = f.side === 'buy' ? f.quantity : -f.quantity;
              cash -= signed * f.priceMoney + f.commissionMoney;
              units.set(f.symbol, (units.get(f.symbol) ?? 0) + signed);
            }
            let value = 0;
            for (const symbol of symbols) {
              const c = closes.get(symbol)?.get(point.timestampMs);
              if (c !== undefined) lastClose.set(symbol, c);
              value += (units.get(symbol) ?? 0) * (lastClose.get(symbol) ?? 0);
            }
            const tolerance = 1e-7 * initial;
            expect(Math.abs(point.cashMoney - cash)).toBeLessThan(tolerance);
            expect(Math.abs(point.positionsValueMoney - value)).toBeLessThan(tolerance);
            expect(Math.abs(point.cashMoney + point.positionsValueMoney - point.equityMoney)).toBeLessThan(
              tolerance,
            );
          }
          expect(next).toBe(result.trades.length);
        },
      ),
      { numRuns: 12, seed: 20_240_102 },
    );
    // The property must have exercised fills, or it checked nothing but cash.
    expect(runsWithFills).toBeGreaterThan(0);
  }, 120_000);
});
