import { afterEach, describe, expect, it } from 'vitest';
import { ConclaveError } from '../../../src/core/errors.ts';
import { AlphaVantageSource } from '../../../src/trading/market-data/index.ts';
import { replay } from './replay-server.ts';
import type { Reply, ReplayServer } from './replay-server.ts';

const KEY = 'AVKEY_SECRET';
let server: ReplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function sourceAnswering(reply: Reply): Promise<AlphaVantageSource> {
  server = await replay(() => reply);
  return new AlphaVantageSource({ baseUrl: server.baseUrl, env: { ALPHA_VANTAGE_API_KEY: KEY } });
}

async function failure(source: AlphaVantageSource, symbol = 'IBM'): Promise<ConclaveError> {
  const err: unknown = await source.fetchBars({ symbol, interval: '1d' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConclaveError);
  const e = err as ConclaveError;
  expect(JSON.stringify(e.toJSON())).not.toContain(KEY);
  return e;
}

const META = {
  '1. Information': 'Daily Prices (open, high, low, close) and Volumes',
  '2. Symbol': 'IBM',
  '3. Last Refreshed': '2024-11-01',
  '4. Output Size': 'Compact',
  '5. Time Zone': 'US/Eastern',
};

describe('AlphaVantageSource', () => {
  it('parses the newest-first Time Series (Daily) object into ascending bars', async () => {
    const source = await sourceAnswering({
      status: 200,
      body: {
        'Meta Data': META,
        'Time Series (Daily)': {
          '2024-11-01': {
            '1. open': '207.5',
            '2. high': '210.1',
            '3. low': '206.9',
            '4. close': '208.25',
            '5. volume': '3000000',
          },
          '2024-10-31': {
            '1. open': '210.0',
            '2. high': '211.0',
            '3. low': '205.0',
            '4. close': '206.72',
            '5. volume': '4000000',
          },
        },
      },
    });
    const series = await source.fetchBars({ symbol: 'IBM', interval: '1d' });
    expect(series.bars.map((b) => [b.timestamp, b.close, b.volume])).toEqual([
      [Date.UTC(2024, 9, 31), 206.72, 4000000],
      [Date.UTC(2024, 10, 1), 208.25, 3000000],
    ]);
    const q = server!.seen[0]!.url.searchParams;
    expect([q.get('function'), q.get('symbol'), q.get('apikey')]).toEqual(['TIME_SERIES_DAILY', 'IBM', KEY]);
  });

  it('returns an empty series for an empty time series', async () => {
    const source = await sourceAnswering({
      status: 200,
      body: { 'Meta Data': META, 'Time Series (Daily)': {} },
    });
    expect((await source.fetchBars({ symbol: 'IBM', interval: '1d' })).bars).toEqual([]);
  });

  it('maps "Invalid API call" (unknown symbol, HTTP 200) to NOT_FOUND', async () => {
    const source = await sourceAnswering({
      status: 200,
      body: {
        'Error Message':
          'Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for TIME_SERIES_DAILY.',
      },
    });
    expect((await failure(source, 'NOPE')).code).toBe('NOT_FOUND');
  });

  it('maps the invalid-key Error Message to UNAUTHORIZED', async () => {
    const source = await sourceAnswering({
      status: 200,
      body: {
        'Error Message':
          'the parameter apikey is invalid or missing. Please claim your free API key on (https://www.alphavantage.co/support/#api-key). It should take less than 20 seconds.',
      },
    });
    expect((await failure(source)).code).toBe('UNAUTHORIZED');
  });

  it('maps Note and Information rate-limit messages (HTTP 200) to RATE_LIMITED', async () => {
    let source = await sourceAnswering({
      status: 200,
      body: {
        Note: 'Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute and 500 calls per day.',
      },
    });
    expect((await failure(source)).code).toBe('RATE_LIMITED');
    await server!.close();
    source = await sourceAnswering({
      status: 200,
      body: {
        Information:
          'We have detected your API key as AVKEY_SECRET and our standard API rate limit is 25 requests per day. Please subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly remove all daily rate limits.',
      },
    });
    const e = await failure(source);
    expect([e.code, e.retryable]).toEqual(['RATE_LIMITED', true]);
    expect(e.message).toContain('***');
  });

  it('maps a premium-only Information message to FORBIDDEN', async () => {
    const source = await sourceAnswering({
      status: 200,
      body: {
        Information:
          'Thank you for using Alpha Vantage! The outputsize=full parameter value is a premium feature for the TIME_SERIES_DAILY endpoint.',
      },
    });
    expect((await failure(source)).code).toBe('FORBIDDEN');
  });

  it('maps 500 to retryable AGENT_UNAVAILABLE', async () => {
    const source = await sourceAnswering({ status: 500, body: 'Application Error' });
    expect((await failure(source)).code).toBe('AGENT_UNAVAILABLE');
  });

  it('maps malformed JSON and bad values to VALIDATION_FAILED naming the field', async () => {
    let source = await sourceAnswering({ status: 200, body: '{"Meta Data": ' });
    expect((await failure(source)).details['field']).toBe('alpha-vantage.body');
    await server!.close();
    source = await sourceAnswering({
      status: 200,
      body: {
        'Time Series (Daily)': {
          '2024-11-01': {
            '1. open': '1',
            '2. high': '2',
            '3. low': '1',
            '4. close': 'n/a',
            '5. volume': '5',
          },
        },
      },
    });
    expect((await failure(source)).details['field']).toBe(
      'alpha-vantage."Time Series (Daily)"."2024-11-01"."4. close"',
    );
  });

  it('serves 1d only, and is not configured without a key', async () => {
    const source = new AlphaVantageSource({ env: {} });
    expect(source.configurationProblem()).toBe('ALPHA_VANTAGE_API_KEY is not set');
    expect((await failure(source)).details['notConfigured']).toBe(true);
    const err = await source.fetchBars({ symbol: 'IBM', interval: '1h' }).catch((e: unknown) => e);
    expect((err as ConclaveError).details['field']).toBe('request.interval');
  });
});
