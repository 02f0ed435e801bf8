import { describe, expect, it } from 'vitest';
import { VegaDatasetsSource, validateBars } from '../../../src/trading/market-data/index.ts';
import type { Bar, BarCandidate, RejectionReason } from '../../../src/trading/market-data/index.ts';

const DAY = 86_400_000;
const MON = Date.UTC(2024, 0, 1);
const bar = (i: number, over: Partial<Record<keyof Bar, unknown>> = {}): BarCandidate => ({
  timestamp: MON + i * DAY,
  open: 10,
  high: 11,
  low: 9,
  close: 10.5,
  volume: 1000,
  ...over,
});
/** Mon–Fri of two weeks. */
const weekdays = [0, 1, 2, 3, 4, 7, 8, 9, 10, 11];
const clean = (): BarCandidate[] => weekdays.map((d) => bar(d));

function reasons(rows: BarCandidate[], interval: '1d' | '1h' | '1mo' = '1d'): [number, RejectionReason][] {
  return validateBars({ interval, bars: rows }).rejections.map((r) => [r.index, r.reason]);
}

describe('validateBars', () => {
  it('passes a clean series, returning its bars', () => {
    const rows = clean();
    const v = validateBars({ interval: '1d', bars: rows });
    expect(v).toEqual({ status: 'clean', valid: rows, rejections: [], checkedRows: 10 });
  });

  it('nan: a non-finite or non-number field', () => {
    const rows = clean();
    rows[2] = bar(2, { close: Number.NaN });
    rows[3] = bar(3, { volume: null });
    const v = validateBars({ interval: '1d', bars: rows });
    expect(v.status).toBe('rejected');
    expect(v.valid).toBeUndefined();
    expect(v.rejections.map((r) => [r.index, r.reason])).toEqual([
      [2, 'nan'],
      [3, 'nan'],
    ]);
    expect(v.rejections[0]).toMatchObject({
      timestamp: MON + 2 * DAY,
      message: 'close=NaN not a finite number',
      row: rows[2],
    });
  });

  it('non_positive_price', () => {
    const rows = clean();
    rows[1] = bar(1, { low: 0, open: 0 });
    expect(reasons(rows)).toEqual([[1, 'non_positive_price']]);
  });

  it('high_below_low', () => {
    const rows = clean();
    rows[4] = bar(4, { high: 8, low: 9 });
    expect(reasons(rows)).toEqual([[4, 'high_below_low']]);
  });

  it('ohlc_outside_range: open or close outside [low, high]', () => {
    const rows = clean();
    rows[5] = bar(7, { open: 11.5 });
    rows[6] = bar(8, { close: 8.9 });
    expect(reasons(rows)).toEqual([
      [5, 'ohlc_outside_range'],
      [6, 'ohlc_outside_range'],
    ]);
  });

  it('out_of_order', () => {
    const rows = clean();
    [rows[3], rows[4]] = [rows[4]!, rows[3]!];
    expect(reasons(rows)).toEqual([[4, 'out_of_order']]);
  });

  it('duplicate_timestamp', () => {
    const rows = clean();
    rows.splice(3, 0, bar(2, { close: 10.2 }));
    expect(reasons(rows)).toEqual([[3, 'duplicate_timestamp']]);
  });

  it('gap: daily bars more than maxGapDays apart, weekends allowed', () => {
    const rows = [bar(0), bar(1), bar(9)];
    expect(reasons(rows)).toEqual([[2, 'gap']]);
    expect(validateBars({ interval: '1d', bars: rows }).rejections[0]!.message).toBe(
      '8 days since the previous bar at 2024-01-02T00:00:00.000Z (at most 5 days allowed)',
    );
    expect(validateBars({ interval: '1d', bars: rows }, { maxGapDays: 8 }).status).toBe('clean');
  });

  it('gap: intraday within a day and monthly beyond one missing month', () => {
    const hour = 3_600_000;
    const intraday = [0, 1, 4, 24 + 0].map((h) => bar(0, { timestamp: MON + 14 * hour + h * hour }));
    expect(reasons(intraday, '1h')).toEqual([[2, 'gap']]);
    const months = [0, 1, 3, 6].map((m) => bar(0, { timestamp: Date.UTC(2024, m, 1) }));
    expect(reasons(months, '1mo')).toEqual([[3, 'gap']]);
  });

  it('reports every reason of every row', () => {
    const rows = clean();
    rows[1] = bar(1, { open: -1, high: 5, low: 6, volume: -2 });
    expect(reasons(rows)).toEqual([
      [1, 'non_positive_price'],
      [1, 'negative_volume'],
      [1, 'high_below_low'],
    ]);
  });

  it('the real S&P 500 series has exactly one anomaly: the 2001-09-11 market closure', async () => {
    const spx = await new VegaDatasetsSource().fetchBars({ symbol: 'SPX', interval: '1d' });
    const v = validateBars(spx);
    expect(
      v.rejections.map((r) => [
        r.index,
        new Date(r.timestamp as number).toISOString().slice(0, 10),
        r.reason,
      ]),
    ).toEqual([[426, '2001-09-17', 'gap']]);
    expect(v.rejections[0]!.message).toBe(
      '7 days since the previous bar at 2001-09-10T00:00:00.000Z (at most 5 days allowed)',
    );
    expect(validateBars(spx, { maxGapDays: 7 }).status).toBe('clean');
  });
});
