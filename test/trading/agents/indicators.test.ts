import { ATR, BollingerBands, EMA, MACD, ROC, RSI, SMA } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/index.ts';
import {
  atrSeries,
  bollingerSeries,
  emaSeries,
  macdSeries,
  rocSeries,
  rsiSeries,
  smaSeries,
} from '../../../src/trading/agents/index.ts';
import { makeBars } from './bars.ts';

const bars = makeBars({ count: 400, seed: 42, driftPerBar: 0.0003, volatilityPerBar: 0.015 });
const closes = bars.map((b) => b.close);

/** The library's own answers, one per bar, null until stable. */
function direct<I, O>(
  indicator: { add(i: I): O | null; isStable: boolean },
  inputs: readonly I[],
): (O | null)[] {
  return inputs.map((i) => {
    const v = indicator.add(i);
    return indicator.isStable ? v : null;
  });
}

describe('indicator series agree with trading-signals on a seeded series', () => {
  it.each([
    ['SMA', smaSeries(bars, 20), direct(new SMA(20), closes), 19],
    ['EMA', emaSeries(bars, 12), direct(new EMA(12), closes), 11],
    ['RSI', rsiSeries(bars, 14), direct(new RSI(14), closes), 14],
    ['ROC', rocSeries(bars, 10), direct(new ROC(10), closes), 10],
    ['ATR', atrSeries(bars, 14), direct(new ATR(14), bars), 13],
  ])('%s', (_name, ours, theirs, firstIndex) => {
    expect(ours).toHaveLength(bars.length);
    expect(ours).toEqual(theirs);
    expect(ours.findIndex((v) => v !== null)).toBe(firstIndex);
    expect(ours.every((v, i) => i < firstIndex || Number.isFinite(v))).toBe(true);
  });

  it('MACD and Bollinger Bands', () => {
    expect(macdSeries(bars, 12, 26, 9)).toEqual(
      direct(new MACD(new EMA(12), new EMA(26), new EMA(9)), closes),
    );
    expect(bollingerSeries(bars, 20, 2)).toEqual(direct(new BollingerBands(20, 2), closes));
    const last = bollingerSeries(bars, 20, 2).at(-1);
    expect(last!.lower).toBeLessThan(last!.middle);
    expect(last!.middle).toBeCloseTo(smaSeries(bars, 20).at(-1)!, 9);
  });

  it('ROC is a fraction of price', () => {
    const i = 50;
    expect(rocSeries(bars, 10)[i]).toBeCloseTo(closes[i]! / closes[i - 10]! - 1, 12);
  });

  it('rejects a bad period, naming it', () => {
    expect(() => smaSeries(bars, 0)).toThrow(ValidationError);
    expect(() => smaSeries(bars, 2.5)).toThrow(/^periodBars:/);
    expect(() => macdSeries(bars, 12, -1, 9)).toThrow(/^slowBars:/);
  });
});
