import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/index.ts';
import { estimateCosts, optimizeExecution } from '../../../src/trading/agents/index.ts';
import { makeBars } from './bars.ts';

const bars = makeBars({ seed: 21, count: 60, volatilityPerBar: 0.02 });

describe('estimateCosts', () => {
  it('grows with order size, in money and in bps (impact is concave)', () => {
    const sizes = [100, 1_000, 10_000, 100_000];
    const costs = sizes.map((quantity) => estimateCosts({ side: 'buy', quantity }, bars));
    for (let i = 1; i < costs.length; i++) {
      expect(costs[i]!.total_money).toBeGreaterThan(costs[i - 1]!.total_money);
      expect(costs[i]!.impact_bps).toBeGreaterThan(costs[i - 1]!.impact_bps);
    }
    // Square-root law: 100× the size is 10× the impact.
    expect(costs[3]!.impact_bps / costs[1]!.impact_bps).toBeCloseTo(10, 6);
  });

  it('adds commission (with its minimum), half the spread and impact', () => {
    const c = estimateCosts({ side: 'sell', quantity: 10 }, bars, { spreadBps: 8, commissionPerUnit: 0.01 });
    expect(c.commission_money).toBe(1); // 10 × 0.01 < the 1.00 minimum
    expect(c.half_spread_bps).toBe(4);
    expect(c.total_bps).toBeCloseTo(c.commission_bps + 4 + c.impact_bps, 9);
    expect(c.total_money).toBeCloseTo((c.total_bps * c.notional_money) / 10_000, 9);
    expect(c.notional_money).toBeCloseTo(10 * bars.at(-1)!.close, 9);
  });

  it('names bad orders and params', () => {
    expect(() => estimateCosts({ side: 'buy', quantity: 0 }, bars)).toThrow(/^order\.quantity:/);
    expect(() => estimateCosts({ side: 'hold' as never, quantity: 1 }, bars)).toThrow(/^order\.side:/);
    expect(() => estimateCosts({ side: 'buy', quantity: 1 }, [])).toThrow(/^bars:/);
    expect(() => estimateCosts({ side: 'buy', quantity: 1 }, bars, { maxSlices: 0 })).toThrow(
      ValidationError,
    );
  });
});

describe('optimizeExecution', () => {
  it('sends a small order at once and slices a large one under the impact budget', () => {
    const small = optimizeExecution({ side: 'buy', quantity: 10 }, bars);
    expect(small.strategy).toBe('single');
    expect(small.slices).toEqual([{ bar_offset: 0, quantity: 10 }]);

    const big = optimizeExecution({ side: 'buy', quantity: 20_001 }, bars, {
      maxImpactBps: 20,
      maxSlices: 50,
    });
    expect(big.strategy).toBe('twap');
    expect(big.within_budget).toBe(true);
    expect(big.slices.reduce((s, x) => s + x.quantity, 0)).toBe(20_001);
    expect(big.slices.map((s) => s.bar_offset)).toEqual(big.slices.map((_, i) => i));
    const child = estimateCosts({ side: 'buy', quantity: big.slices[0]!.quantity }, bars);
    expect(child.impact_bps).toBeLessThanOrEqual(20.01);
    expect(big.expected.impact_bps).toBeLessThan(big.single_order.impact_bps);
    expect(big.savings_money).toBeGreaterThan(0);
  });

  it('reports when even the most slices cannot meet the budget', () => {
    const plan = optimizeExecution({ side: 'sell', quantity: 5_000_000 }, bars, { maxSlices: 3 });
    expect(plan.slices).toHaveLength(3);
    expect(plan.within_budget).toBe(false);
  });

  it('uses a marketable limit when the spread is wide', () => {
    const plan = optimizeExecution({ side: 'buy', quantity: 10 }, bars, { spreadBps: 20 });
    expect(plan.order_type).toBe('limit');
    expect(plan.limit_price).toBeGreaterThan(bars.at(-1)!.close);
    const sell = optimizeExecution({ side: 'sell', quantity: 10 }, bars, { spreadBps: 20 });
    expect(sell.limit_price).toBeLessThan(bars.at(-1)!.close);
  });
});
