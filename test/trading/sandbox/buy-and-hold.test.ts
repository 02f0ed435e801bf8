import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { locateVegaData, VegaDatasetsSource } from '../../../src/trading/market-data/index.ts';
import { runBacktest } from '../../../src/trading/sandbox/index.ts';

/** Total return and max drawdown computed from the raw file, sharing no code with the sandbox. */
function fromRawCsv(): {
  totalReturn: number;
  maxDrawdown: number;
  peakDate: string;
  troughDate: string;
  rows: number;
} {
  const text = readFileSync(join(locateVegaData(), 'sp500-2000.csv'), 'utf8');
  const [header, ...lines] = text.trim().split('\n');
  const columns = header!.split(',');
  const dateAt = columns.indexOf('date');
  const closeAt = columns.indexOf('close');
  const rows = lines.map((line) => {
    const cells = line.split(',');
    return { date: cells[dateAt]!, close: Number(cells[closeAt]) };
  });
  let peak = rows[0]!;
  let worst = { dd: 0, peakDate: '', troughDate: '' };
  for (const row of rows) {
    if (row.close > peak.close) peak = row;
    const dd = (peak.close - row.close) / peak.close;
    if (dd > worst.dd) worst = { dd, peakDate: peak.date, troughDate: row.date };
  }
  return {
    totalReturn: rows[rows.length - 1]!.close / rows[0]!.close - 1,
    maxDrawdown: worst.dd,
    peakDate: worst.peakDate,
    troughDate: worst.troughDate,
    rows: rows.length,
  };
}

describe('buy-and-hold benchmark on the S&P 500 data', () => {
  it('reports the total return and max drawdown (with dates) the raw CSV gives', async () => {
    const expected = fromRawCsv();
    const spx = await new VegaDatasetsSource().fetchBars({ symbol: 'SPX', interval: '1d' });
    const result = await runBacktest({ bars: { SPX: spx.bars } }, { runId: 'spx-bh' });
    const b = result.benchmark;
    expect(result.benchmarkEquity).toHaveLength(expected.rows);
    expect(b.totalReturn).toBeCloseTo(expected.totalReturn, 10);
    expect(b.maxDrawdown).toBeCloseTo(expected.maxDrawdown, 10);
    // The 2007-10-09 close to the 2009-03-09 close: the crisis, not some data artefact.
    expect(new Date(b.maxDrawdownPeakMs!).toISOString().slice(0, 10)).toBe(expected.peakDate);
    expect(new Date(b.maxDrawdownTroughMs!).toISOString().slice(0, 10)).toBe(expected.troughDate);
    expect(expected.peakDate).toBe('2007-10-09');
    expect(expected.troughDate).toBe('2009-03-09');
    // The strategy's own curve covers the same bars and starts from the cash.
    expect(result.equity).toHaveLength(expected.rows);
    expect(result.metrics.startEquityMoney).toBe(100_000);
    expect(result.manifest.dataHash).toMatch(/^[0-9a-f]{64}$/);
  }, 120_000);
});
