import { afterEach, describe, expect, it } from 'vitest';
import { createConclave, type Conclave } from '../../../src/conclave.ts';
import { loadConfig } from '../../../src/core/config.ts';
import { openSqliteStore } from '../../../src/store/index.ts';
import {
  executeStrategy,
  executeWorkflow,
  installTradingAgents,
  planStrategy,
  strategyFromTemplate,
} from '../../../src/trading/index.ts';

let conclave: Conclave | undefined;
afterEach(async () => {
  await conclave?.close(0);
  conclave = undefined;
});

async function setup(): Promise<Conclave> {
  const config = loadConfig({ path: '/dev/null', env: {}, overrides: { log: { level: 'silent' } } });
  const c = await createConclave(config, { store: await openSqliteStore({ path: ':memory:' }) });
  conclave = c;
  installTradingAgents(c);
  await c.start();
  return c;
}

const base = { strategy_id: 'spx_momentum', name: 'SPX momentum', symbols: ['SPX'] };

describe('strategy templates', () => {
  it('fills defaults and rejects an out-of-range parameter naming it', () => {
    const s = strategyFromTemplate('momentum', base, { lookback_period: 30 });
    expect(s.lookback_period).toBe(30);
    expect(s.parameters['signal_threshold']).toBe(0.02);
    expect(() => strategyFromTemplate('momentum', base, { lookback_period: 500 })).toThrow(
      /parameters\.lookback_period.*between 5 and 100/,
    );
    expect(() => strategyFromTemplate('momentum', base, { signal_threshold: 'high' })).toThrow(
      /parameters\.signal_threshold/,
    );
    expect(() => strategyFromTemplate('momentum', base, { nope: 1 })).toThrow(/parameters\.nope/);
    expect(() => strategyFromTemplate('momentum', { ...base, symbols: [] })).toThrow(/strategy\.symbols/);
  });
});

describe('planStrategy', () => {
  it('orders fetch → analysis fan-out → risk → cost → decision → execution', () => {
    const def = planStrategy(strategyFromTemplate('momentum', base));
    const byId = Object.fromEntries(def.steps.map((s) => [s.id, s]));
    expect(def.steps.map((s) => s.id)).toEqual([
      'fetch_data',
      'momentum',
      'correlation',
      'risk',
      'transaction_cost',
      'decide',
      'execute',
    ]);
    expect(byId['momentum']?.dependsOn).toEqual(['fetch_data']);
    expect(byId['correlation']?.dependsOn).toEqual(['fetch_data']);
    expect(byId['momentum']?.forEach?.items).toBe('steps.fetch_data.result');
    expect(byId['risk']?.dependsOn).toEqual(['momentum', 'correlation']);
    expect(byId['transaction_cost']?.dependsOn).toEqual(['risk']);
    expect(byId['decide']?.dependsOn).toEqual(['transaction_cost']);
    expect(byId['execute']?.dependsOn).toEqual(['decide']);
  });
});

describe('executeStrategy', () => {
  it('runs a template strategy on real SPX data and returns signals, decisions and orders', async () => {
    const c = await setup();
    // Late 2003: a steady uptrend in the S&P 500.
    const result = await executeStrategy(c, strategyFromTemplate('momentum', base), { asOf: '2003-12-31' });
    expect(result.status).toBe('completed');
    expect(result.signals.map((s) => s.agent_name).sort()).toEqual(['correlation', 'momentum', 'risk']);
    expect(result.decisions).toHaveLength(1);
    const decision = result.decisions[0];
    expect(decision?.policy).toBe('rule_based');
    // The data is fixed, so the verdict is too: strong momentum into the end of 2003.
    expect(decision).toMatchObject({ action: 'trade', direction: 'up', reason: 'high_confidence_momentum' });
    expect(result.orders).toHaveLength(1);
  });

  it('does not order when the policy only monitors (mid-2003, weak momentum)', async () => {
    const c = await setup();
    const result = await executeStrategy(c, strategyFromTemplate('momentum', base), { asOf: '2003-06-30' });
    expect(result.decisions[0]).toMatchObject({ action: 'monitor', reason: 'insufficient_confidence' });
    expect(result.orders).toEqual([]);
  });

  it('runs the step-list form', async () => {
    const c = await setup();
    const result = await executeWorkflow(c, {
      workflow_id: 'multi_agent_example',
      steps: [
        {
          agent_pool: 'data_agent_pool',
          action: 'fetch_market_data',
          parameters: { symbols: ['SPX', 'MSFT'], period: '1d' },
        },
        {
          agent_pool: 'alpha_agent_pool',
          action: 'generate_signals',
          parameters: { strategy_type: 'momentum' },
        },
        { agent_pool: 'risk_agent_pool', action: 'assess_risk', parameters: { model: 'var' } },
      ],
    });
    expect(result.status).toBe('completed');
    expect(result.decisions).toHaveLength(2);
    expect(result.signals).toHaveLength(4);
  });
});
