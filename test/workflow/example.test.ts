import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { makeEngine, type EngineHarness } from './harness.ts';

let h: EngineHarness;
afterEach(async () => {
  await h?.close();
});

/** The example shipped in examples/ must stay a workflow that registers and runs as described. */
describe('examples/rebalance-workflow.yaml', () => {
  async function run(riskLevel: string): Promise<{ status: string; executed: unknown[]; scored: string[] }> {
    h = await makeEngine();
    const executed: unknown[] = [];
    const scored: string[] = [];
    h.agent('data', ['fetch_market_data'], (req) => ({ bars: (req.payload['symbols'] as string[]).length }));
    h.agent('alpha', ['generate_signals'], (req) => {
      const symbol = req.payload['symbol'] as string;
      scored.push(symbol);
      if (symbol === 'BAD') throw new Error('no data for BAD');
      return { symbol, direction: 'up' };
    });
    h.agent('risk', ['assess_risk'], () => ({
      risk_level: riskLevel,
      orders: [{ symbol: 'AAPL', qty: 10 }],
    }));
    h.agent('broker', ['execute_order'], (req) => {
      executed.push(req.payload['orders']);
      return { filled: true };
    });
    h.engine.registerDocument(readFileSync('examples/rebalance-workflow.yaml', 'utf8'));
    const id = await h.engine.start('rebalance', { symbols: ['AAPL', 'MSFT', 'BAD'] });
    for (let i = 0; i < 20; i++) await h.clock.advance(1000);
    const rec = await h.engine.wait(id);
    return { status: rec.status, executed, scored };
  }

  it('executes the orders when risk allows, tolerating a symbol that fails to score', async () => {
    const r = await run('low');
    expect(r.status).toBe('completed');
    expect(new Set(r.scored)).toEqual(new Set(['AAPL', 'MSFT', 'BAD']));
    expect(r.executed).toEqual([[{ symbol: 'AAPL', qty: 10 }]]);
  });

  it('skips execution when risk is high', async () => {
    const r = await run('high');
    expect(r.status).toBe('completed');
    expect(r.executed).toEqual([]);
  });
});
