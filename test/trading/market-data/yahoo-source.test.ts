import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConclaveError } from '../../../src/core/errors.ts';
import { YahooSource } from '../../../src/trading/market-data/index.ts';
import { replay } from './replay-server.ts';
import type { Reply, ReplayServer } from './replay-server.ts';

let server: ReplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function sourceAnswering(reply: Reply): Promise<YahooSource> {
  server = await replay(() => reply);
  return new YahooSource({ baseUrl: server.baseUrl, timeoutMs: 2000 });
}

async function failure(source: YahooSource): Promise<ConclaveError> {
  const err: unknown = await source
    .fetchBars({ symbol: 'AAPL', interval: '1d', from: '2024-01-01', to: '2024-01-31' })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(ConclaveError);
  return err as ConclaveError;
}

/** A chart body in Yahoo's shape; daily timestamps are the 09:30 New York session open. */
function chart(timestamp: number[] | undefined, quote: Record<string, unknown[]>): object {
  return {
    chart: {
      result: [
        {
          meta: {
            currency: 'USD',
            symbol: 'AAPL',
            gmtoffset: -18000,
            timezone: 'EST',
            dataGranularity: '1d',
          },
          ...(timestamp === undefined ? {} : { timestamp }),
          indicators: { quote: [quote], adjclose: [{ adjclose: quote['close'] }] },
        },
      ],
      error: null,
    },
  };
}

const OPEN_0102 = Date.UTC(2024, 0, 2, 14, 30) / 1000;
const OPEN_0103 = Date.UTC(2024, 0, 3, 14, 30) / 1000;
const OPEN_0104 = Date.UTC(2024, 0, 4, 14, 30) / 1000;

describe('YahooSource', () => {
  it('maps chart.result[0] to bars at 00:00 UTC of the exchange date and skips all-null rows', async () => {
    const source = await sourceAnswering({
      status: 200,
      body: chart([OPEN_0102, OPEN_0103, OPEN_0104], {
        open: [187.15, null, 182.15],
        high: [188.44, null, 183.09],
        low: [183.89, null, 180.88],
        close: [185.64, null, 181.91],
        volume: [82488700, null, 71983600],
      }),
    });
    const series = await source.fetchBars({
      symbol: 'AAPL',
      interval: '1d',
      from: '2024-01-02',
      to: '2024-01-04',
    });
    expect(series.bars).toEqual([
      {
        timestamp: Date.UTC(2024, 0, 2),
        open: 187.15,
        high: 188.44,
        low: 183.89,
        close: 185.64,
        volume: 82488700,
      },
      {
        timestamp: Date.UTC(2024, 0, 4),
        open: 182.15,
        high: 183.09,
        low: 180.88,
        close: 181.91,
        volume: 71983600,
      },
    ]);
    const url = server!.seen[0]!.url;
    expect(url.pathname).toBe('/v8/finance/chart/AAPL');
    expect([url.searchParams.get('interval'), url.searchParams.get('period1')]).toEqual([
      '1d',
      String(Date.UTC(2024, 0, 2) / 1000),
    ]);
  });

  it('asks for 60m when the request is 1h', async () => {
    const source = await sourceAnswering({ status: 200, body: chart(undefined, {}) });
    await source.fetchBars({ symbol: 'AAPL', interval: '1h', from: '2024-01-02', to: '2024-01-03' });
    expect(server!.seen[0]!.url.searchParams.get('interval')).toBe('60m');
  });

  it('returns an empty series when the result has no timestamps', async () => {
    const source = await sourceAnswering({ status: 200, body: chart(undefined, {}) });
    expect(
      (await source.fetchBars({ symbol: 'AAPL', interval: '1d', from: '2024-01-06', to: '2024-01-07' })).bars,
    ).toEqual([]);
  });

  it('maps an unknown symbol (404 chart.error Not Found) to NOT_FOUND', async () => {
    const source = await sourceAnswering({
      status: 404,
      body: {
        chart: {
          result: null,
          error: { code: 'Not Found', description: 'No data found, symbol may be delisted' },
        },
      },
    });
    const e = await failure(source);
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain('symbol may be delisted');
  });

  it('maps 401 to UNAUTHORIZED', async () => {
    const source = await sourceAnswering({
      status: 401,
      body: { finance: { result: null, error: { code: 'Unauthorized', description: 'Invalid Crumb' } } },
    });
    expect((await failure(source)).code).toBe('UNAUTHORIZED');
  });

  it('maps 429 Too Many Requests to RATE_LIMITED', async () => {
    const source = await sourceAnswering({
      status: 429,
      body: 'Too Many Requests',
      headers: { 'content-type': 'text/plain' },
    });
    const e = await failure(source);
    expect([e.code, e.retryable, e.details['retryAfterMs']]).toEqual(['RATE_LIMITED', true, undefined]);
  });

  it('maps 500 to retryable AGENT_UNAVAILABLE', async () => {
    const source = await sourceAnswering({ status: 500, body: 'oops' });
    expect((await failure(source)).code).toBe('AGENT_UNAVAILABLE');
  });

  it('maps malformed JSON and partial rows to VALIDATION_FAILED naming the field', async () => {
    let source = await sourceAnswering({ status: 200, body: '<html>not json</html>' });
    expect((await failure(source)).details['field']).toBe('yahoo.body');
    await server!.close();
    source = await sourceAnswering({
      status: 200,
      body: chart([OPEN_0102], { open: [1], high: [2], low: [0.5], close: [null], volume: [10] }),
    });
    const e = await failure(source);
    expect([e.code, e.details['field']]).toEqual([
      'VALIDATION_FAILED',
      'yahoo.chart.result[0].indicators.quote[0].close[0]',
    ]);
  });

  it('times out with a retryable TIMEOUT when the server never answers', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const { port } = silent.address() as AddressInfo;
      const source = new YahooSource({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 50 });
      const e = await failure(source);
      expect([e.code, e.retryable]).toEqual(['TIMEOUT', true]);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
