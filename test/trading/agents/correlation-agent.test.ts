import { describe, expect, it } from 'vitest';
import { correlationAnalysisSchema } from '../../../src/coordination/index.ts';
import { ValidationError } from '../../../src/core/index.ts';
import { assessCorrelation } from '../../../src/trading/agents/index.ts';
import { logReturnsOf, makeBars } from './bars.ts';

const base = makeBars({ seed: 11, count: 120, volatilityPerBar: 0.015 });
const baseReturns = logReturnsOf(base);
const barsBySymbol = {
  AAA: base,
  SAME: makeBars({ returns: baseReturns, seed: 99 }),
  MIRROR: makeBars({ returns: baseReturns.map((r) => -r), seed: 98 }),
  OTHER: makeBars({ seed: 12, count: 120, volatilityPerBar: 0.015 }),
  SHORT_HISTORY: makeBars({ seed: 13, count: 5 }),
};

describe('assessCorrelation', () => {
  it('holding the same series concentrates: impact near -1', () => {
    const result = assessCorrelation('AAA', barsBySymbol, [{ symbol: 'SAME', valueMoney: 50_000 }]);
    expect(result.correlations.SAME).toBeGreaterThan(0.99);
    expect(result.portfolio_impact).toBeLessThan(-0.99);
  });

  it('an anti-correlated holding diversifies: positive impact', () => {
    const result = assessCorrelation('AAA', barsBySymbol, [{ symbol: 'MIRROR', valueMoney: 50_000 }]);
    expect(result.correlations.MIRROR).toBeLessThan(-0.99);
    expect(result.portfolio_impact).toBeGreaterThan(0.99);
  });

  it('weights holdings by value; a short flips the sign; unrelated is near 0', () => {
    const mixed = assessCorrelation('AAA', barsBySymbol, [
      { symbol: 'SAME', valueMoney: 30_000 },
      { symbol: 'MIRROR', valueMoney: 10_000 },
    ]);
    expect(mixed.weights).toEqual({ SAME: 0.75, MIRROR: 0.25 });
    expect(mixed.portfolio_impact).toBeCloseTo(-0.5, 2);
    const hedged = assessCorrelation('AAA', barsBySymbol, [{ symbol: 'SAME', valueMoney: -10_000 }]);
    expect(hedged.portfolio_impact).toBeGreaterThan(0.99);
    const unrelated = assessCorrelation('AAA', barsBySymbol, [{ symbol: 'OTHER', valueMoney: 10_000 }]);
    expect(Math.abs(unrelated.portfolio_impact)).toBeLessThan(0.3);
  });

  it('excludes holdings without enough overlapping data; no holdings → 0', () => {
    const result = assessCorrelation('AAA', barsBySymbol, [
      { symbol: 'SHORT_HISTORY', valueMoney: 1 },
      { symbol: 'NOPE', valueMoney: 1 },
    ]);
    expect(result.excluded).toEqual({ SHORT_HISTORY: 'insufficient_overlap', NOPE: 'no_data' });
    expect(result.portfolio_impact).toBe(0);
    expect(assessCorrelation('AAA', barsBySymbol, []).portfolio_impact).toBe(0);
  });

  it('parses with the coordinator schema', () => {
    for (const holdings of [[], [{ symbol: 'SAME', valueMoney: 1 }], [{ symbol: 'MIRROR', valueMoney: 5 }]]) {
      expect(
        correlationAnalysisSchema.safeParse(assessCorrelation('AAA', barsBySymbol, holdings)).success,
      ).toBe(true);
    }
  });

  it('names the bad input', () => {
    expect(() => assessCorrelation('ZZZ', barsBySymbol, [])).toThrow(/^symbol:/);
    expect(() => assessCorrelation('AAA', barsBySymbol, [], { lookbackBars: 1 })).toThrow(ValidationError);
    expect(() => assessCorrelation('AAA', barsBySymbol, [], { lookbackBars: 1 })).toThrow(
      /^params\.lookbackBars:/,
    );
    expect(() =>
      assessCorrelation('AAA', barsBySymbol, [{ symbol: 'SAME', valueMoney: Number.NaN }]),
    ).toThrow(/^holdings\[0\]\.valueMoney:/);
  });
});
