import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConclaveError } from '../../../src/core/errors.ts';
import { CsvSource, parseBarsCsv, splitCsvLine } from '../../../src/trading/market-data/index.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'conclave-csv-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseBarsCsv', () => {
  it('reads columns in any case and order, ignores adjclose, and takes ISO dates as 00:00 UTC', () => {
    const text =
      'Volume,Date,Close,Adj Close,adjclose,High,Low,Open\n100,2024-01-02,10.5,10.4,10.4,11,10,10.2\n';
    const { bars, errors, headerError } = parseBarsCsv(text);
    expect([errors, headerError]).toEqual([[], undefined]);
    expect(bars).toEqual([
      { timestamp: Date.UTC(2024, 0, 2), open: 10.2, high: 11, low: 10, close: 10.5, volume: 100 },
    ]);
  });

  it('accepts epoch seconds, epoch ms and ISO date-times in a timestamp column', () => {
    const text =
      'timestamp,open,high,low,close,volume\n1704153600,1,1,1,1,0\n1704153660000,1,1,1,1,0\n2024-01-02T00:02:00Z,1,1,1,1,0';
    expect(parseBarsCsv(text).bars.map((b) => b.timestamp)).toEqual([
      1704153600000, 1704153660000, 1704153720000,
    ]);
  });

  it('reports every bad row with its line number and keeps none of them', () => {
    const text = [
      'date,open,high,low,close,volume',
      '2024-01-02,1,2,0.5,1.5,10',
      'not-a-date,1,2,0.5,1.5,10',
      '2024-01-04,1,2,0.5,abc,10',
      '',
      '2024-01-05,1,2,0,1.5,10',
      '2024-01-08,1,2,0.5,1.5',
    ].join('\n');
    const { bars, errors } = parseBarsCsv(text);
    expect(bars).toHaveLength(1);
    expect(errors.map((e) => e.line)).toEqual([3, 4, 6, 7]);
    expect(errors[0]!.message).toContain('not-a-date');
    expect(errors[1]!.message).toContain('close "abc" is not a number');
    expect(errors[2]!.message).toBe('low must be greater than 0');
    expect(errors[3]!.message).toContain('volume "" is not a number');
  });

  it('names missing header columns', () => {
    expect(parseBarsCsv('date,open,high,close\n').headerError).toContain('low, volume');
    expect(parseBarsCsv('open,high,low,close,volume\n').headerError).toContain('date');
  });

  it('splits quoted fields', () => {
    expect(splitCsvLine('"a,b",c,"d ""e"""')).toEqual(['a,b', 'c', 'd "e"']);
  });
});

describe('CsvSource', () => {
  const good = 'date,open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,10\n2024-01-03,1.5,2.5,1,2,20\n';

  it('serves <SYMBOL>.csv from a directory case-insensitively, filtered by range, and lists symbols', async () => {
    await writeFile(join(dir, 'aapl.csv'), good);
    await writeFile(join(dir, 'MSFT.CSV'), good);
    const source = new CsvSource({ directory: dir });
    expect(await source.listSymbols()).toEqual(['AAPL', 'MSFT']);
    const series = await source.fetchBars({ symbol: 'AAPL', interval: '1d', from: '2024-01-03' });
    expect(series).toMatchObject({ symbol: 'AAPL', interval: '1d', source: 'csv' });
    expect(series.bars.map((b) => b.close)).toEqual([2]);
  });

  it('serves from an explicit map and turns a descending file ascending', async () => {
    const path = join(dir, 'spx-daily.txt');
    await writeFile(
      path,
      'date,open,high,low,close,volume\n2024-01-03,1.5,2.5,1,2,20\n2024-01-02,1,2,0.5,1.5,10\n',
    );
    const series = await new CsvSource({ files: { spx: path } }).fetchBars({ symbol: 'SPX', interval: '1d' });
    expect(series.bars.map((b) => b.timestamp)).toEqual([Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 3)]);
  });

  it('refuses a file with bad rows, listing each row number', async () => {
    await writeFile(join(dir, 'BAD.csv'), `${good}2024-01-04,x,2,1,1,1\n2024-01-05,1,2,1,1,-3\n`);
    const err = await new CsvSource({ directory: dir })
      .fetchBars({ symbol: 'BAD', interval: '1d' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConclaveError);
    const e = err as ConclaveError;
    expect(e.code).toBe('VALIDATION_FAILED');
    expect((e.details['rows'] as { line: number }[]).map((r) => r.line)).toEqual([4, 5]);
    expect(e.message).toContain('line 4');
  });

  it('answers NOT_FOUND for a missing file and VALIDATION_FAILED for another interval', async () => {
    const source = new CsvSource({ directory: dir });
    const missing = await source.fetchBars({ symbol: 'NOPE', interval: '1d' }).catch((e: unknown) => e);
    expect((missing as ConclaveError).code).toBe('NOT_FOUND');
    const traversal = await source
      .fetchBars({ symbol: '../etc/passwd', interval: '1d' })
      .catch((e: unknown) => e);
    expect((traversal as ConclaveError).code).toBe('NOT_FOUND');
    const wrong = await source.fetchBars({ symbol: 'AAPL', interval: '1h' }).catch((e: unknown) => e);
    expect((wrong as ConclaveError).details['field']).toBe('request.interval');
  });
});
