import { describe, expect, it } from 'vitest';
import type { ConclaveError } from '../../../src/core/errors.ts';
import { VegaDatasetsSource, locateVegaData } from '../../../src/trading/market-data/index.ts';

const source = new VegaDatasetsSource();

describe('VegaDatasetsSource', () => {
  it('finds the data directory through module resolution', () => {
    expect(locateVegaData()).toMatch(/vega-datasets[/\\]data$/);
  });

  it('serves the S&P 500 daily from 2000-01-03 to 2020-04-17', async () => {
    const spx = await source.fetchBars({ symbol: 'SPX', interval: '1d' });
    expect(spx.bars.length).toBeGreaterThan(5000);
    expect(spx.bars.length).toBe(5105);
    const first = spx.bars[0]!;
    expect(new Date(first.timestamp).toISOString()).toBe('2000-01-03T00:00:00.000Z');
    expect(first).toEqual({
      timestamp: first.timestamp,
      open: 1469.25,
      high: 1478,
      low: 1438.359985,
      close: 1455.219971,
      volume: 931800000,
    });
    expect(new Date(spx.bars.at(-1)!.timestamp).toISOString().slice(0, 10)).toBe('2020-04-17');
  });

  it('answers the aliases ^GSPC and SP500 with the same series, cached, and filters by range', async () => {
    const a = await source.fetchBars({
      symbol: '^GSPC',
      interval: '1d',
      from: '2008-10-01',
      to: '2008-10-31',
    });
    const b = await source.fetchBars({
      symbol: 'sp500',
      interval: '1d',
      from: '2008-10-01',
      to: '2008-10-31',
    });
    expect(a.symbol).toBe('SPX');
    expect(a.bars).toHaveLength(23);
    expect(b.bars[0]).toBe(a.bars[0]);
  });

  it('serves five stocks monthly with open = high = low = close and volume 0', async () => {
    expect(await source.listSymbols()).toEqual(['SPX', 'AAPL', 'AMZN', 'GOOG', 'IBM', 'MSFT']);
    const counts: Record<string, number> = {};
    for (const symbol of ['MSFT', 'AMZN', 'IBM', 'GOOG', 'AAPL']) {
      const s = await source.fetchBars({ symbol, interval: '1mo' });
      counts[symbol] = s.bars.length;
      expect(
        s.bars.every((b) => b.open === b.close && b.high === b.close && b.low === b.close && b.volume === 0),
      ).toBe(true);
    }
    expect(counts).toEqual({ MSFT: 123, AMZN: 123, IBM: 123, GOOG: 68, AAPL: 123 });
    const msft = await source.fetchBars({ symbol: 'MSFT', interval: '1mo', to: '2000-01-31' });
    expect(msft.bars).toEqual([
      { timestamp: Date.UTC(2000, 0, 1), open: 39.81, high: 39.81, low: 39.81, close: 39.81, volume: 0 },
    ]);
  });

  it('refuses other intervals and unknown symbols', async () => {
    const wrong = await source.fetchBars({ symbol: 'SPX', interval: '1mo' }).catch((e: unknown) => e);
    expect((wrong as ConclaveError).details['field']).toBe('request.interval');
    const unknown = await source.fetchBars({ symbol: 'TSLA', interval: '1d' }).catch((e: unknown) => e);
    expect((unknown as ConclaveError).code).toBe('NOT_FOUND');
  });
});
