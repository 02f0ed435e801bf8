import { afterEach, describe, expect, it } from 'vitest';
import { ConclaveError } from '../../../src/core/errors.ts';
import { PolygonSource } from '../../../src/trading/market-data/index.ts';
import { deadUrl, replay } from './replay-server.ts';
import type { Reply, ReplayServer } from './replay-server.ts';

const KEY = 'pk_secret_123';
let server: ReplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function sourceAnswering(reply: Reply | ((url: URL) => Reply)): Promise<PolygonSource> {
  server = await replay((s) => (typeof reply === 'function' ? reply(s.url) : reply));
  return new PolygonSource({ baseUrl: server.baseUrl, env: { POLYGON_API_KEY: KEY }, timeoutMs: 2000 });
}

async function failure(source: PolygonSource, symbol = 'AAPL'): Promise<ConclaveError> {
  const err: unknown = await source
    .fetchBars({ symbol, interval: '1d', from: '2023-01-01', to: '2023-01-31' })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(ConclaveError);
  const e = err as ConclaveError;
  expect(e.message).not.toContain(KEY);
  return e;
}

// t = 2023-01-09 and 2023-01-10 at 00:00 America/New_York (05:00 UTC), as Polygon stamps daily bars.
const OK_BODY = {
  ticker: 'AAPL',
  queryCount: 2,
  resultsCount: 2,
  adjusted: true,
  status: 'OK',
  request_id: 'a1',
  results: [
    { v: 70790813, vw: 131.6292, o: 130.465, c: 130.15, h: 133.41, l: 129.89, t: 1673240400000, n: 645365 },
    { v: 63896155, vw: 129.8404, o: 130.26, c: 130.73, h: 131.2636, l: 128.12, t: 1673326800000, n: 554940 },
  ],
};

describe('PolygonSource', () => {
  it('maps results to bars at 00:00 UTC of the trading date and sends the key only as a bearer header', async () => {
    const source = await sourceAnswering({ status: 200, body: OK_BODY });
    const series = await source.fetchBars({
      symbol: 'AAPL',
      interval: '1d',
      from: '2023-01-09',
      to: '2023-01-10',
    });
    expect(series.source).toBe('polygon');
    expect(series.bars).toEqual([
      {
        timestamp: Date.UTC(2023, 0, 9),
        open: 130.465,
        high: 133.41,
        low: 129.89,
        close: 130.15,
        volume: 70790813,
      },
      {
        timestamp: Date.UTC(2023, 0, 10),
        open: 130.26,
        high: 131.2636,
        low: 128.12,
        close: 130.73,
        volume: 63896155,
      },
    ]);
    const seen = server!.seen[0]!;
    expect(seen.url.pathname).toBe(
      `/v2/aggs/ticker/AAPL/range/1/day/${Date.UTC(2023, 0, 9)}/${Date.UTC(2023, 0, 10, 23, 59, 59, 999)}`,
    );
    expect(seen.url.searchParams.get('sort')).toBe('asc');
    expect(seen.url.search).not.toContain(KEY);
    expect(seen.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('follows next_url pages', async () => {
    const source = await sourceAnswering((url) =>
      url.searchParams.get('cursor') === null
        ? {
            status: 200,
            body: {
              ...OK_BODY,
              results: OK_BODY.results.slice(0, 1),
              next_url: 'https://api.polygon.io/v2/aggs/ticker/AAPL/range/1/day/1/2?cursor=abc',
            },
          }
        : { status: 200, body: { ...OK_BODY, results: OK_BODY.results.slice(1) } },
    );
    const series = await source.fetchBars({
      symbol: 'AAPL',
      interval: '1d',
      from: '2023-01-01',
      to: '2023-01-31',
    });
    expect(series.bars.map((b) => b.close)).toEqual([130.15, 130.73]);
    expect(server!.seen).toHaveLength(2);
  });

  it('returns an empty series when results are omitted (also how Polygon answers an unknown ticker)', async () => {
    const source = await sourceAnswering({
      status: 200,
      body: { ticker: 'NOPE', queryCount: 0, resultsCount: 0, adjusted: true, status: 'OK', request_id: 'x' },
    });
    const series = await source.fetchBars({
      symbol: 'NOPE',
      interval: '1d',
      from: '2023-01-01',
      to: '2023-01-31',
    });
    expect(series.bars).toEqual([]);
  });

  it('maps a 404 NOT_FOUND to NOT_FOUND', async () => {
    const source = await sourceAnswering({
      status: 404,
      body: { status: 'NOT_FOUND', request_id: 'x', message: 'Ticker not found.' },
    });
    const e = await failure(source, 'NOPE');
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain('Ticker not found.');
  });

  it('maps a bad key (401 Unknown API Key) to UNAUTHORIZED, not retryable', async () => {
    const source = await sourceAnswering({
      status: 401,
      body: { status: 'ERROR', request_id: 'x', error: 'Unknown API Key' },
    });
    const e = await failure(source);
    expect([e.code, e.retryable]).toEqual(['UNAUTHORIZED', false]);
    expect(e.message).toContain('Unknown API Key');
  });

  it('maps 403 NOT_AUTHORIZED (plan limits) to FORBIDDEN', async () => {
    const source = await sourceAnswering({
      status: 403,
      body: {
        status: 'NOT_AUTHORIZED',
        request_id: 'x',
        message: "Your plan doesn't include this data timeframe.",
      },
    });
    expect((await failure(source)).code).toBe('FORBIDDEN');
  });

  it('maps 429 to RATE_LIMITED with the Retry-After', async () => {
    const source = await sourceAnswering({
      status: 429,
      headers: { 'retry-after': '12' },
      body: {
        status: 'ERROR',
        request_id: 'x',
        error:
          "You've exceeded the maximum requests per minute, please wait or upgrade your subscription to continue.",
      },
    });
    const e = await failure(source);
    expect([e.code, e.retryable, e.details['retryAfterMs']]).toEqual(['RATE_LIMITED', true, 12_000]);
  });

  it('maps a 500 and an unreachable host to retryable AGENT_UNAVAILABLE', async () => {
    const source = await sourceAnswering({ status: 500, body: 'internal error' });
    const e = await failure(source);
    expect([e.code, e.retryable]).toEqual(['AGENT_UNAVAILABLE', true]);
    const dead = new PolygonSource({ baseUrl: await deadUrl(), apiKey: KEY });
    const e2 = await failure(dead);
    expect([e2.code, e2.retryable]).toEqual(['AGENT_UNAVAILABLE', true]);
  });

  it('maps malformed JSON and a bad field to VALIDATION_FAILED naming the field', async () => {
    const source = await sourceAnswering({ status: 200, body: '{"status":"OK","results":[' });
    const e = await failure(source);
    expect([e.code, e.details['field']]).toEqual(['VALIDATION_FAILED', 'polygon.body']);
    await server!.close();
    const bad = { ...OK_BODY, results: [{ ...OK_BODY.results[0], h: 'high' }] };
    const source2 = await sourceAnswering({ status: 200, body: bad });
    expect((await failure(source2)).details['field']).toBe('polygon.results[0].h');
  });

  it('is not configured without a key, and says so without making a request', async () => {
    const source = new PolygonSource({ env: {} });
    expect(source.configurationProblem()).toBe('POLYGON_API_KEY is not set');
    const e = await failure(source);
    expect([e.code, e.details['notConfigured']]).toEqual(['CONFIG_INVALID', true]);
  });

  it('rejects with CANCELLED when the caller aborts', async () => {
    server = await replay(() => ({ status: 200, body: OK_BODY }));
    const source = new PolygonSource({ baseUrl: server.baseUrl, apiKey: KEY });
    const controller = new AbortController();
    controller.abort();
    const err = await source
      .fetchBars({ symbol: 'AAPL', interval: '1d' }, controller.signal)
      .catch((e: unknown) => e);
    expect((err as ConclaveError).code).toBe('CANCELLED');
  });
});
