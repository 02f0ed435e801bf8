import { describe, expect, it } from 'vitest';
import { ConclaveError } from '../../../src/core/errors.ts';
import {
  DEFAULT_SYNTHETIC_MODEL,
  SyntheticSource,
  generateSyntheticPath,
  validateBars,
} from '../../../src/trading/market-data/index.ts';

const START = Date.UTC(2010, 0, 4);

describe('SyntheticSource', () => {
  it('is deterministic per (seed, symbol): same seed same bars, other seed or symbol other bars', async () => {
    const a = await new SyntheticSource({ seed: 7 }).fetchBars({ symbol: 'ACME', interval: '1d' });
    const b = await new SyntheticSource({ seed: 7 }).fetchBars({ symbol: 'ACME', interval: '1d' });
    const c = await new SyntheticSource({ seed: 8 }).fetchBars({ symbol: 'ACME', interval: '1d' });
    const d = await new SyntheticSource({ seed: 7 }).fetchBars({ symbol: 'OTHER', interval: '1d' });
    expect(a.bars).toHaveLength(2520);
    expect(b.bars).toEqual(a.bars);
    expect(c.bars.map((x) => x.close)).not.toEqual(a.bars.map((x) => x.close));
    expect(d.bars.map((x) => x.close)).not.toEqual(a.bars.map((x) => x.close));
  });

  it('gives the same bar for a date whatever range is asked for', async () => {
    const source = new SyntheticSource({ seed: 3 });
    const all = await source.fetchBars({ symbol: 'X', interval: '1d' });
    const window = await source.fetchBars({
      symbol: 'X',
      interval: '1d',
      from: '2012-03-01',
      to: '2012-03-31',
    });
    expect(window.bars).toHaveLength(22);
    expect(all.bars.find((b) => b.timestamp === window.bars[0]!.timestamp)).toEqual(window.bars[0]);
  });

  it('keeps OHLC invariants over many bars and intervals, on weekdays only for daily bars', async () => {
    const source = new SyntheticSource({ seed: 11, barCount: 5000 });
    for (const interval of ['1d', '1h', '5m', '1wk', '1mo'] as const) {
      const series = await source.fetchBars({ symbol: 'INV', interval });
      expect(series.bars).toHaveLength(5000);
      const verdict = validateBars(series, { maxGapDays: 3 });
      expect(verdict.rejections).toEqual([]);
      const broken = series.bars.filter(
        (b) =>
          !(b.low > 0 && b.low <= Math.min(b.open, b.close) && b.high >= Math.max(b.open, b.close)) ||
          !(Number.isInteger(b.volume) && b.volume > 0),
      );
      expect(broken).toEqual([]);
      if (interval === '1d')
        expect(series.bars.every((b) => ![0, 6].includes(new Date(b.timestamp).getUTCDay()))).toBe(true);
    }
  });

  it('switches regimes, and crisis bars are visibly more volatile than bull bars', () => {
    const { bars, regimes } = generateSyntheticPath(DEFAULT_SYNTHETIC_MODEL, 5, 'REG', '1d', START, 20_000);
    const returnsBy = new Map<string, number[]>();
    for (let i = 1; i < bars.length; i++) {
      const list = returnsBy.get(regimes[i]!) ?? [];
      list.push(Math.log(bars[i]!.close / bars[i - 1]!.close));
      returnsBy.set(regimes[i]!, list);
    }
    expect([...returnsBy.keys()].sort()).toEqual(['bear', 'bull', 'crisis']);
    const stdev = (xs: number[]): number => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
    };
    const annual = (r: string): number => stdev(returnsBy.get(r)!) * Math.sqrt(252);
    expect(annual('bull')).toBeLessThan(0.2);
    expect(annual('crisis')).toBeGreaterThan(0.45);
    expect(annual('crisis')).toBeGreaterThan(3 * annual('bull'));
    const switches = regimes.filter((r, i) => i > 0 && r !== regimes[i - 1]).length;
    expect(switches).toBeGreaterThan(50);
  });

  it('generates 100 symbols × 2520 daily bars in well under a second', async () => {
    const source = new SyntheticSource({ seed: 1 });
    await source.fetchBars({ symbol: 'WARMUP', interval: '1d' });
    const started = performance.now();
    let total = 0;
    for (let i = 0; i < 100; i++)
      total += (await source.fetchBars({ symbol: `S${i}`, interval: '1d' })).bars.length;
    expect(total).toBe(252_000);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses an invalid model, naming the field', () => {
    expect(
      () =>
        new SyntheticSource({ seed: 1, model: { ...DEFAULT_SYNTHETIC_MODEL, transitions: [[1], [1], [1]] } }),
    ).toThrow(ConclaveError);
    const transitions = [
      [0.5, 0.5, 0.5],
      [0, 1, 0],
      [0, 0, 1],
    ];
    expect(
      () => new SyntheticSource({ seed: 1, model: { ...DEFAULT_SYNTHETIC_MODEL, transitions } }),
    ).toThrow(
      'options.model.transitions: each transitions row needs one probability per regime, summing to 1',
    );
  });
});
