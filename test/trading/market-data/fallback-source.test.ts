import { describe, expect, it } from 'vitest';
import { ConclaveError } from '../../../src/core/errors.ts';
import { FallbackSource, PolygonSource } from '../../../src/trading/market-data/index.ts';
import type { BarRequest, BarSeries, MarketDataSource } from '../../../src/trading/market-data/index.ts';

const BAR = { timestamp: Date.UTC(2024, 0, 2), open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 };
const REQUEST: BarRequest = { symbol: 'AAPL', interval: '1d' };

/** A source that fails with `error`, or serves one bar when `error` is undefined. */
function fake(name: string, error?: ConclaveError): MarketDataSource & { calls: number } {
  return {
    name,
    calls: 0,
    fetchBars(request: BarRequest): Promise<BarSeries> {
      this.calls++;
      if (error) return Promise.reject(error);
      return Promise.resolve({
        symbol: request.symbol,
        interval: request.interval,
        source: name,
        bars: [BAR],
      });
    },
  };
}

async function failure(p: Promise<unknown>): Promise<ConclaveError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConclaveError);
  return err as ConclaveError;
}

describe('FallbackSource', () => {
  it('falls through a 429 to the next source and reports who served and why the first did not', async () => {
    const limited = fake(
      'polygon',
      new ConclaveError('RATE_LIMITED', 'polygon rate limit reached', { details: { retryAfterMs: 1000 } }),
    );
    const yahoo = fake('yahoo');
    const series = await new FallbackSource({ sources: [limited, yahoo] }).fetchBars(REQUEST);
    expect(series.source).toBe('yahoo');
    expect(series.bars).toEqual([BAR]);
    expect(series.attempts.map((a) => [a.source, a.outcome, a.code])).toEqual([
      ['polygon', 'failed', 'RATE_LIMITED'],
      ['yahoo', 'served', undefined],
    ]);
    expect(series.attempts[0]!.reason).toBe('polygon rate limit reached');
  });

  it('skips a source without a key, with the reason, and never calls it', async () => {
    const polygon = new PolygonSource({ env: {} });
    const yahoo = fake('yahoo');
    const series = await new FallbackSource({ sources: [polygon, yahoo] }).fetchBars(REQUEST);
    expect(series.attempts[0]).toMatchObject({
      source: 'polygon',
      outcome: 'skipped',
      reason: 'POLYGON_API_KEY is not set',
    });
    expect(series.source).toBe('yahoo');
  });

  it('when all fail, raises one error listing each source and its reason', async () => {
    const sources = [
      new PolygonSource({ env: {} }),
      fake('yahoo', new ConclaveError('AGENT_UNAVAILABLE', 'yahoo answered 500', { retryable: true })),
      fake('alpha-vantage', new ConclaveError('RATE_LIMITED', 'alpha-vantage rate limit reached')),
    ];
    const e = await failure(new FallbackSource({ sources }).fetchBars(REQUEST));
    expect([e.code, e.retryable]).toEqual(['AGENT_UNAVAILABLE', true]);
    expect(e.message).toBe(
      'no source served AAPL 1d: polygon skipped: POLYGON_API_KEY is not set; yahoo AGENT_UNAVAILABLE: yahoo answered 500; alpha-vantage RATE_LIMITED: alpha-vantage rate limit reached',
    );
    expect((e.details['attempts'] as unknown[]).length).toBe(3);
  });

  it('is NOT_FOUND when every source that answered said so, CONFIG_INVALID when none is configured', async () => {
    const nf = (n: string): MarketDataSource =>
      fake(n, new ConclaveError('NOT_FOUND', `${n}: unknown symbol`));
    expect((await failure(new FallbackSource({ sources: [nf('a'), nf('b')] }).fetchBars(REQUEST))).code).toBe(
      'NOT_FOUND',
    );
    const none = new FallbackSource({ sources: [new PolygonSource({ env: {} })] });
    expect(none.configurationProblem()).toContain('POLYGON_API_KEY is not set');
    expect((await failure(none.fetchBars(REQUEST))).code).toBe('CONFIG_INVALID');
  });

  it('stops at an error its fallThrough rule rejects, keeping the attempts', async () => {
    const bad = fake('polygon', new ConclaveError('UNAUTHORIZED', 'polygon answered 401: Unknown API Key'));
    const yahoo = fake('yahoo');
    const strict = new FallbackSource({ sources: [bad, yahoo], fallThrough: (e) => e.retryable });
    const e = await failure(strict.fetchBars(REQUEST));
    expect(e.code).toBe('UNAUTHORIZED');
    expect(e.details['attempts']).toHaveLength(1);
    expect(yahoo.calls).toBe(0);
  });

  it('validates the request once, naming the field, before asking any source', async () => {
    const yahoo = fake('yahoo');
    const e = await failure(
      new FallbackSource({ sources: [yahoo] }).fetchBars({ symbol: 'AAPL', interval: '2d' as '1d' }),
    );
    expect(e.details['field']).toBe('request.interval');
    expect(yahoo.calls).toBe(0);
  });
});
