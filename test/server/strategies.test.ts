import { afterEach, describe, expect, it } from 'vitest';
import { getJson, makeTestServer, postJson, type TestServer } from './helpers.ts';

let t: TestServer;
afterEach(async () => {
  await t.close();
});

const full = {
  strategy_id: 'spx_trend',
  name: 'SPX trend',
  symbols: ['SPX'],
  lookback_period: 30,
  parameters: { note: 'hand-written' },
};

describe('strategies over HTTP', () => {
  it('stores a full strategy and a template one, lists, reads and deletes them', async () => {
    t = await makeTestServer();
    const a = await postJson(t.app, '/strategies', full);
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({
      strategy_id: 'spx_trend',
      name: 'SPX trend',
      template: null,
      strategy: { symbols: ['SPX'], lookback_period: 30, rebalance_frequency: 'daily', description: '' },
      created_at: '2025-11-03T10:30:00.000Z',
    });
    await t.clock.advance(60_000);
    const b = await postJson(t.app, '/strategies', {
      name: 'Tech momentum',
      symbols: ['AAPL', 'MSFT'],
      template: 'momentum',
      parameters: { position_size: 0.5 },
    });
    expect(b.status).toBe(201);
    const bId = b.body['strategy_id'] as string;
    expect(bId).toMatch(/^strategy_/);
    expect(b.body['strategy']).toMatchObject({
      lookback_period: 20,
      parameters: { position_size: 0.5, signal_threshold: 0.02, template: 'momentum' },
    });
    const list = await getJson(t.app, '/strategies');
    expect(list.status).toBe(200);
    expect((list.body['strategies'] as { strategy_id: string }[]).map((s) => s.strategy_id)).toEqual([
      bId,
      'spx_trend',
    ]);
    const page = await getJson(t.app, '/strategies?limit=1&offset=1');
    expect((page.body['strategies'] as { strategy_id: string }[]).map((s) => s.strategy_id)).toEqual([
      'spx_trend',
    ]);
    const one = await getJson(t.app, `/strategies/${bId}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(b.body);
    const del = await t.app.inject({ method: 'DELETE', url: '/strategies/spx_trend' });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toEqual({ strategy_id: 'spx_trend', deleted: true });
    const gone = await getJson(t.app, '/strategies/spx_trend');
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ code: 'NOT_FOUND', detail: "no strategy 'spx_trend'" });
    const again = await t.app.inject({ method: 'DELETE', url: '/strategies/spx_trend' });
    expect(again.statusCode).toBe(404);
  });

  it('refuses a taken id with 409', async () => {
    t = await makeTestServer();
    expect((await postJson(t.app, '/strategies', full)).status).toBe(201);
    const dup = await postJson(t.app, '/strategies', full);
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ code: 'CONFLICT', status_code: 409 });
    expect(dup.body['detail']).toContain('spx_trend');
  });

  it.each([
    ['a missing name', { symbols: ['SPX'] }, 'name'],
    ['no symbols', { ...full, symbols: [] }, 'symbols'],
    ['a bad id', { ...full, strategy_id: 'has space' }, 'strategy_id'],
    ['an unknown field', { ...full, colour: 'red' }, 'colour'],
    ['an unknown template', { ...full, strategy_id: undefined, template: 'astrology' }, 'template'],
    [
      'a template parameter out of range',
      { name: 'x', symbols: ['SPX'], template: 'momentum', parameters: { position_size: 3 } },
      'parameters.position_size',
    ],
    [
      'an unknown template parameter',
      { name: 'x', symbols: ['SPX'], template: 'momentum', parameters: { leverage: 3 } },
      'parameters.leverage',
    ],
    [
      'lookback beside a template',
      { name: 'x', symbols: ['SPX'], template: 'momentum', lookback_period: 30 },
      'lookback_period',
    ],
    ['a blank symbol', { ...full, symbols: ['  '] }, 'symbols[0]'],
  ])('names the field for %s', async (_label, body, field) => {
    t = await makeTestServer();
    const res = await postJson(t.app, '/strategies', body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', status_code: 400 });
    expect(res.body['detail']).toContain(field);
  });

  it('names a bad paging parameter and an over-long id', async () => {
    t = await makeTestServer();
    const res = await getJson(t.app, '/strategies?limit=0');
    expect(res.status).toBe(400);
    expect(res.body['detail']).toContain('limit');
    const long = await getJson(t.app, `/strategies/${'x'.repeat(201)}`);
    expect(long.status).toBe(400);
    expect(long.body['detail']).toContain('id');
  });
});
