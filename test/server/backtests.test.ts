import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  API_KEYS_CONFIG,
  KEYS,
  bearer,
  getJson,
  makeTestServer,
  postJson,
  type TestServer,
} from './helpers.ts';
import { backtestFinished, stuckSource } from './backtest-support.ts';
import { tradingAgents } from './strategy-support.ts';

let t: TestServer;
afterEach(async () => {
  await t.close();
});

const inline = { name: 'SPX momentum', symbols: ['SPX'], template: 'momentum' };
const window2008 = { from: '2008-01-01', to: '2008-12-31' };

describe('backtests over HTTP', () => {
  it('runs a stored strategy on the real S&P 500 data and reports summary, manifest, equity and trades', async () => {
    // POST /strategies executes the strategy too: the built-in agents serve its plan.
    t = await makeTestServer({ agents: tradingAgents(), config: { routing_rules: [] } });
    const stored = await postJson(t.app, '/strategies', { ...inline, strategy_id: 'spx_mom' });
    expect(stored.status).toBe(202);
    const res = await postJson(t.app, '/backtest', {
      strategy_id: 'spx_mom',
      ...window2008,
      initial_cash: 250_000,
      policy: 'weighted_average',
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'queued' });
    const id = res.body['backtest_id'] as string;
    expect(res.body['links']).toEqual({ self: `/backtest/${id}` });
    const done = await backtestFinished(t, id);
    expect(done).toMatchObject({
      backtest_id: id,
      strategy_id: 'spx_mom',
      status: 'completed',
      progress: 1,
      error: null,
      request: { policy: 'weighted_average', initial_cash: 250_000, symbols: ['SPX'], interval: '1d' },
      summary: { symbols: ['SPX'], trade_from: '2008-01-02T00:00:00.000Z' },
      manifest: { format: 'conclave.backtest.manifest/1', policy: 'weighted_average', symbols: ['SPX'] },
      links: { equity: `/backtest/${id}?include=equity`, trades: `/backtest/${id}?include=trades` },
    });
    const summary = done['summary'] as { metrics: { startEquityMoney: number }; equity_points: number };
    expect(summary.metrics.startEquityMoney).toBeCloseTo(250_000, -3);
    expect(summary.equity_points).toBe(253);
    expect(done).not.toHaveProperty('equity');
    const both = await getJson(t.app, `/backtest/${id}?include=equity,trades`);
    const equity = both.body['equity'] as { timestampMs: number; equityMoney: number }[];
    expect(equity).toHaveLength(253);
    expect(both.body['benchmark_equity']).toHaveLength(253);
    expect(Array.isArray(both.body['trades'])).toBe(true);
    const trades = (await getJson(t.app, `/backtest/${id}?include=trades`)).body;
    expect(trades).not.toHaveProperty('equity');
    expect(trades['trades']).toEqual(both.body['trades']);
    const row = await t.conclave.store.backtests.get(id);
    expect(row?.status).toBe('completed');
  });

  it('runs an inline strategy and fails cleanly, with its error, on a window without data', async () => {
    t = await makeTestServer();
    const res = await postJson(t.app, '/backtest', {
      strategy: inline,
      from: '2030-01-01',
      to: '2030-06-30',
    });
    expect(res.status).toBe(202);
    const done = await backtestFinished(t, res.body['backtest_id'] as string);
    expect(done).toMatchObject({ status: 'failed', strategy_id: null, progress: null, links: null });
    expect(done['error']).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((done['error'] as { message: string }).message).toContain('bars');
  });

  it.each([
    ['neither strategy nor id', { ...window2008 }, 'strategy_id'],
    ['both strategy and id', { strategy_id: 'x', strategy: inline }, 'strategy_id'],
    ['a symbol without bundled data', { strategy: { ...inline, symbols: ['TSLA'] } }, 'strategy.symbols[0]'],
    ['daily and monthly mixed', { strategy: { ...inline, symbols: ['SPX', 'AAPL'] } }, 'strategy.symbols'],
    [
      'a bad template parameter',
      { strategy: { ...inline, parameters: { position_size: 9 } } },
      'strategy.parameters.position_size',
    ],
    [
      'a bad agent parameter',
      {
        strategy: {
          ...inline,
          template: undefined,
          parameters: { momentum: { fastBars: 30, slowBars: 10 } },
        },
      },
      'strategy.parameters.momentum.slowBars',
    ],
    [
      'agent parameters that are not an object',
      { strategy: { ...inline, template: undefined, parameters: { risk: 3 } } },
      'strategy.parameters.risk',
    ],
    ['a bad date', { strategy: inline, from: '2008-13-45' }, 'from'],
    ['from after to', { strategy: inline, from: '2009-01-01', to: '2008-01-01' }, 'from'],
    ['negative cash', { strategy: inline, initial_cash: -5 }, 'initial_cash'],
    ['an unknown policy', { strategy: inline, policy: 'coin_flip' }, 'policy'],
    ['an unknown field', { strategy: inline, leverage: 3 }, 'leverage'],
  ])('names the field for %s', async (_label, body, field) => {
    t = await makeTestServer();
    const res = await postJson(t.app, '/backtest', body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', status_code: 400 });
    expect(res.body['detail']).toContain(field);
  });

  it('answers 404 for an unknown strategy or backtest, and 400 for a bad include', async () => {
    t = await makeTestServer();
    const missing = await postJson(t.app, '/backtest', { strategy_id: 'nope' });
    expect(missing.status).toBe(404);
    expect(missing.body['detail']).toContain('nope');
    const unknown = await getJson(t.app, '/backtest/bt_nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'NOT_FOUND', detail: "no backtest 'bt_nope'" });
    const bad = await getJson(t.app, '/backtest/bt_nope?include=everything');
    expect(bad.status).toBe(400);
    expect(bad.body['detail']).toContain('include');
  });

  it('runs a bounded number at once, queues the next, refuses with 503 QUEUE_FULL, and requeues both on close', async () => {
    t = await makeTestServer({
      app: { env: {}, backtests: { maxConcurrent: 1, maxQueued: 1, source: stuckSource } },
    });
    const first = await postJson(t.app, '/backtest', { strategy: inline });
    const second = await postJson(t.app, '/backtest', { strategy: inline });
    expect([first.status, second.status]).toEqual([202, 202]);
    const full = await postJson(t.app, '/backtest', { strategy: inline });
    expect(full.status).toBe(503);
    expect(full.body).toMatchObject({ code: 'QUEUE_FULL', status_code: 503 });
    const firstId = first.body['backtest_id'] as string;
    const secondId = second.body['backtest_id'] as string;
    await vi.waitFor(async () =>
      expect((await getJson(t.app, `/backtest/${firstId}`)).body['status']).toBe('running'),
    );
    expect((await getJson(t.app, `/backtest/${firstId}`)).body['progress']).toBe(0);
    expect((await getJson(t.app, `/backtest/${secondId}`)).body).toMatchObject({
      status: 'queued',
      progress: 0,
    });
    await t.app.close();
    for (const id of [firstId, secondId]) {
      const row = await t.conclave.store.backtests.get(id);
      // Accepted work is not lost: both run again on the next start (backtests-restart.test.ts).
      expect(row).toMatchObject({ status: 'queued', startedAt: null, error: null });
    }
  });

  it('needs operate to start backtests and write strategies, read to look', async () => {
    t = await makeTestServer({
      agents: tradingAgents(),
      config: { server: { api_keys: API_KEYS_CONFIG }, routing_rules: [] },
    });
    const as = (key: string, method: 'POST' | 'GET' | 'DELETE', url: string, payload?: object) =>
      t.app.inject({ method, url, headers: bearer(key), ...(payload === undefined ? {} : { payload }) });
    expect((await as(KEYS.read, 'POST', '/strategies', inline)).statusCode).toBe(403);
    expect((await as(KEYS.read, 'POST', '/backtest', { strategy: inline })).statusCode).toBe(403);
    expect((await as(KEYS.read, 'DELETE', '/strategies/x')).statusCode).toBe(403);
    expect((await as(KEYS.read, 'GET', '/strategies')).statusCode).toBe(200);
    expect((await as(KEYS.read, 'GET', '/backtest/x')).statusCode).toBe(404);
    expect((await as(KEYS.operate, 'POST', '/strategies', { ...inline, strategy_id: 's1' })).statusCode).toBe(
      202,
    );
    expect((await as(KEYS.operate, 'DELETE', '/strategies/s1')).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/strategies' })).statusCode).toBe(401);
  });

  it('documents every strategy and backtest route in the OpenAPI document', async () => {
    t = await makeTestServer();
    const doc = (await getJson(t.app, '/docs/json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(doc.paths['/strategies'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/strategies/{id}'] ?? {}).sort()).toEqual(['delete', 'get']);
    expect(Object.keys(doc.paths['/backtest'] ?? {})).toEqual(['post']);
    expect(Object.keys(doc.paths['/backtest/{id}'] ?? {})).toEqual(['get']);
    expect(JSON.stringify(doc.paths['/backtest'])).toContain('initial_cash');
  });
});
