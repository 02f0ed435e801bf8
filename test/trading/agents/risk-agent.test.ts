import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { riskAnalysisSchema, RISK_LEVELS } from '../../../src/coordination/index.ts';
import { ValidationError } from '../../../src/core/index.ts';
import {
  assessRisk,
  normalQuantile,
  quantile,
  RiskTracker,
  RollingWindow,
} from '../../../src/trading/agents/index.ts';
import { makeBars } from './bars.ts';

const flatPortfolio = { equity: 100_000, peakEquity: 100_000 };
const rank = (level: string) => RISK_LEVELS.indexOf(level as never);

describe('assessRisk', () => {
  it('rates higher volatility as higher risk', () => {
    const calm = assessRisk(makeBars({ seed: 2, volatilityPerBar: 0.005 }), flatPortfolio);
    const wild = assessRisk(makeBars({ seed: 2, volatilityPerBar: 0.05 }), flatPortfolio);
    expect(calm.risk_level).toBe('low');
    expect(rank(wild.risk_level)).toBeGreaterThan(rank(calm.risk_level));
    expect(wild.overall_score).toBeGreaterThan(calm.overall_score);
    expect(wild.realized_volatility).toBeGreaterThan(calm.realized_volatility);
    expect(calm.realized_volatility).toBeGreaterThan(0.05);
    expect(calm.realized_volatility).toBeLessThan(0.12); // 0.5%/day ≈ 7.9% a year
  });

  it('shrinks the recommended size as volatility rises', () => {
    const sizes = [0.005, 0.01, 0.02, 0.04].map(
      (v) =>
        assessRisk(makeBars({ seed: 4, volatilityPerBar: v, startPrice: 50 }), flatPortfolio).position_sizing,
    );
    for (let i = 1; i < sizes.length; i++) {
      expect(sizes[i]!.recommended_size).toBeLessThan(sizes[i - 1]!.recommended_size);
    }
    // The calmest is capped by maxPositionFraction (20% of equity), not the volatility target.
    const calm = sizes[0]!;
    expect(calm.recommended_size).toBe(calm.max_position);
    expect(Number.isInteger(calm.recommended_size)).toBe(true);
  });

  it('blocks beyond the drawdown limit, with the reason', () => {
    const bars = makeBars({ seed: 2 });
    const result = assessRisk(bars, { equity: 75_000, peakEquity: 100_000 }, { maxDrawdown: 0.2 });
    expect(result).toMatchObject({ risk_level: 'blocked', reason: 'drawdown_limit', overall_score: 1 });
    expect(result.position_sizing.recommended_size).toBe(0);
    const near = assessRisk(bars, { equity: 85_000, peakEquity: 100_000 }, { maxDrawdown: 0.2 });
    expect(near.risk_level).not.toBe('blocked');
    const none = assessRisk(bars, flatPortfolio);
    expect(near.position_sizing.recommended_size).toBeLessThan(none.position_sizing.recommended_size);
  });

  it('reports VaR at 95% as a fraction and in money for the position', () => {
    const bars = makeBars({ seed: 6, volatilityPerBar: 0.02 });
    const result = assessRisk(bars, { ...flatPortfolio, positionUnits: 100 });
    const v = result.var_detail;
    expect(v.confidence_level).toBe(0.95);
    expect(v.position_value).toBeCloseTo(100 * bars.at(-1)!.close, 9);
    // One-bar 95% VaR of a 2%/bar series is near 1.645 × 2%.
    expect(v.parametric_fraction).toBeGreaterThan(0.02);
    expect(v.parametric_fraction).toBeLessThan(0.05);
    expect(v.historical_fraction).toBeGreaterThan(0.015);
    expect(v.historical_money).toBeCloseTo(v.historical_fraction * v.position_value, 6);
    expect(result.var).toBe(Math.max(v.historical_money, v.parametric_money));
    expect(normalQuantile(0.95)).toBeCloseTo(1.644854, 5);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
  });

  it('is high with nothing to size before enough observations', () => {
    const result = assessRisk(makeBars({ count: 5 }), flatPortfolio);
    expect(result).toMatchObject({ risk_level: 'high', reason: 'insufficient_data' });
    expect(result.position_sizing.recommended_size).toBe(0);
  });

  it('the tracker matches the batch function and every result parses with the coordinator schema', () => {
    const bars = makeBars({ seed: 8, count: 100 });
    const tracker = new RiskTracker();
    for (const bar of bars) tracker.update(bar);
    expect(tracker.assess(flatPortfolio)).toEqual(assessRisk(bars, flatPortfolio));
    for (const portfolio of [flatPortfolio, { equity: 1, peakEquity: 10 }, { equity: 0, peakEquity: 0 }]) {
      expect(riskAnalysisSchema.safeParse(assessRisk(bars, portfolio)).success).toBe(true);
    }
  });

  it('names the bad parameter or portfolio field', () => {
    const bars = makeBars();
    expect(() => assessRisk(bars, flatPortfolio, { maxDrawdown: 0 })).toThrow(ValidationError);
    expect(() => assessRisk(bars, flatPortfolio, { maxDrawdown: 0 })).toThrow(/^params\.maxDrawdown:/);
    expect(() => assessRisk(bars, flatPortfolio, { confidenceLevel: 1 })).toThrow(
      /^params\.confidenceLevel:/,
    );
    expect(() => assessRisk(bars, { equity: Number.NaN, peakEquity: 1 })).toThrow(/^portfolio\.equity:/);
  });
});

describe('quantile', () => {
  it('matches sorting with linear interpolation, in both tails', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 80 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, p) => {
          const sorted = [...values].sort((a, b) => a - b);
          const pos = (sorted.length - 1) * p;
          const lo = Math.floor(pos);
          const hi = Math.min(lo + 1, sorted.length - 1);
          const expected = sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
          expect(quantile(values, p)).toBeCloseTo(expected, 12);
        },
      ),
      { seed: 7 },
    );
  });
});

describe('RollingWindow sorted', () => {
  it('gives exactly the quantile of its values at every push, through evictions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { maxLength: 200 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 5 }),
        (capacity, values, ps) => {
          const window = new RollingWindow(capacity, { sorted: true });
          for (const v of values) {
            window.push(v);
            for (const p of ps)
              expect(Object.is(window.quantile(p), quantile(window.toArray(), p))).toBe(true);
          }
        },
      ),
      { seed: 11 },
    );
  });

  it('refuses NaN, and quantile() on a window that is not sorted', () => {
    expect(() => new RollingWindow(3, { sorted: true }).push(Number.NaN)).toThrow(ValidationError);
    expect(Number.isNaN(new RollingWindow(3, { sorted: true }).quantile(0.5))).toBe(true);
    expect(() => new RollingWindow(3).quantile(0.5)).toThrow(/sorted: true/);
  });
});
