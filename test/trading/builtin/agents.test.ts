import { afterEach, describe, expect, it } from 'vitest';
import { createConclave, type Conclave } from '../../../src/conclave.ts';
import { loadConfig } from '../../../src/core/config.ts';
import { ManualClock } from '../../../src/core/clock.ts';
import { openSqliteStore } from '../../../src/store/index.ts';
import { installTradingAgents, LiveFeed, type TradingAgents } from '../../../src/trading/index.ts';

let conclave: Conclave | undefined;
afterEach(async () => {
  await conclave?.close(0);
  conclave = undefined;
});

async function setup(clock?: ManualClock): Promise<{ c: Conclave; t: TradingAgents }> {
  const config = loadConfig({ path: '/dev/null', env: {}, overrides: { log: { level: 'silent' } } });
  const c = await createConclave(config, {
    store: await openSqliteStore({ path: ':memory:' }),
    ...(clock === undefined ? {} : { clock }),
  });
  conclave = c;
  const t = installTradingAgents(c);
  await c.start();
  return { c, t };
}

describe('built-in trading agents through dispatcher.run', () => {
  it('fetch_market_data serves validated SPX bars and names a bad field', async () => {
    const { c } = await setup();
    const ok = await c.dispatcher.run({
      pattern: 'fetch_market_data',
      payload: { symbol: 'SPX', to: '2008-12-31', limit: 50 },
    });
    expect(ok.status).toBe('completed');
    const result = ok.result as { bars: unknown[]; as_of: string; source: string };
    expect(result.bars).toHaveLength(50);
    expect(result.as_of.slice(0, 7)).toBe('2008-12');
    expect(result.source).toBe('vega');
    const bad = await c.dispatcher.run({
      pattern: 'fetch_market_data',
      payload: { symbol: 'SPX', limit: 0 },
      maxRetries: 0,
    });
    expect(bad.status).not.toBe('completed');
    expect(bad.error?.message).toContain('payload.limit');
  });

  it('rejects bad inline bars with the reason and row', async () => {
    const { c } = await setup();
    const bar = (t: number, close: number) => ({
      timestamp: t,
      open: close,
      high: close,
      low: close,
      close,
      volume: 1,
    });
    const rec = await c.dispatcher.run({
      pattern: 'generate_signals',
      payload: { symbol: 'X', bars: [bar(2, 10), { ...bar(1, 10), high: -1 }] },
      maxRetries: 0,
    });
    expect(rec.status).not.toBe('completed');
    expect(rec.error?.message).toMatch(/payload\.bars\[1\]\.high/);
  });

  it.each([
    [
      'generate_signals',
      { symbol: 'SPX', to: '2020-03-31' },
      'trend_direction',
      { symbol: 7 },
      'payload.symbol',
    ],
    [
      'assess_risk',
      { symbol: 'SPX' },
      'risk_level',
      { symbol: 'SPX', portfolio: { equity: 'x' } },
      'payload.portfolio.equity',
    ],
    [
      'analyze_correlation',
      { symbol: 'SPX', holdings: [{ symbol: 'SPX', valueMoney: 1000 }] },
      'portfolio_impact',
      { symbol: 'SPX', holdings: 3 },
      'payload.holdings',
    ],
  ])(
    '%s answers with an analysis and names the bad field',
    async (pattern, payload, key, badPayload, field) => {
      const { c } = await setup();
      const ok = await c.dispatcher.run({ pattern, payload });
      expect(ok.status).toBe('completed');
      expect((ok.result as { analysis: Record<string, unknown> }).analysis).toHaveProperty(key);
      const bad = await c.dispatcher.run({ pattern, payload: badPayload, maxRetries: 0 });
      expect(bad.error?.message).toContain(field);
    },
  );

  it('estimate_costs and optimize_execution cost an order; execute_order places it on the paper book', async () => {
    const { c, t } = await setup();
    const cost = await c.dispatcher.run({
      pattern: 'estimate_costs',
      payload: { symbol: 'SPX', order: { quantity: 10 } },
    });
    expect((cost.result as { estimate: { total_bps: number } }).estimate.total_bps).toBeGreaterThan(0);
    const plan = await c.dispatcher.run({
      pattern: 'optimize_execution',
      payload: { symbol: 'SPX', order: { side: 'sell', quantity: 10 } },
    });
    expect((plan.result as { plan: { slices: unknown[] } }).plan.slices.length).toBeGreaterThan(0);
    const badCost = await c.dispatcher.run({
      pattern: 'estimate_costs',
      payload: { symbol: 'SPX', order: { quantity: -1 } },
      maxRetries: 0,
    });
    expect(badCost.error?.message).toContain('payload.order.quantity');
    const order = await c.dispatcher.run({
      pattern: 'execute_order',
      payload: { symbol: 'SPX', side: 'buy', quantity: 5 },
    });
    expect((order.result as { status: string }).status).toBe('open');
    const badOrder = await c.dispatcher.run({
      pattern: 'execute_order',
      payload: { symbol: 'SPX', side: 'hold', quantity: 5 },
      maxRetries: 0,
    });
    expect(badOrder.error?.message).toContain('payload.side');
    const book = await c.dispatcher.run({ pattern: 'get_portfolio', payload: {} });
    expect((book.result as { cash_money: number; orders: unknown[] }).orders).toHaveLength(1);
    expect(t.desk.broker.orders()[0]?.quantity).toBe(5);
  });
});

describe('live feed', () => {
  it('replays SPX on a ManualClock and the coordinator decides on the enriched signals', async () => {
    const clock = new ManualClock(Date.UTC(2024, 0, 2));
    const { c, t } = await setup(clock);
    const decisions: string[] = [];
    c.coordinator.on('decision', (action) => decisions.push(action));
    const feed = new LiveFeed(
      { symbols: ['SPX', 'MSFT'], barsPerSecond: 4, warmupBars: 60 },
      { bus: c.bus, clock, desk: t.desk },
    );
    await feed.start();
    await clock.advance(2_000);
    await feed.stop();
    expect(feed.stats().published).toBeGreaterThanOrEqual(2 * 8);
    expect(decisions.length).toBeGreaterThanOrEqual(16);
    expect(c.coordinator.stats().rejected).toBe(0);
  });
});
