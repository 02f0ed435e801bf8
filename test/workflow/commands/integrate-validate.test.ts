import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConclaveError, isConclaveError } from '../../../src/core/errors.ts';
import { makeCommandHarness, type CommandHarness } from './harness.ts';

describe('integrate_real_data', () => {
  let h: CommandHarness;
  beforeEach(async () => {
    h = await makeCommandHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('configures the valid sources, primary first, reloads algorithms, tests the flow and enables real data', async () => {
    h.behaviour['market_data.validate_source'] = (req) => {
      if (req.payload['source'] === 'yahoo')
        throw new ConclaveError('AGENT_ERROR', 'yahoo: 401 unauthorized', { retryable: false });
      return { valid: req.payload['source'] !== 'stale_feed' };
    };
    const runId = await h.conclave.commands.integrateRealData(
      { primarySource: 'polygon', fallbackSources: ['yahoo', 'stale_feed', 'alpha_vantage'] },
      'management_agent',
    );
    const rec = await h.finish(runId);
    expect(rec.status).toBe('completed');
    const configure = h.calls.find((c) => c.pattern === 'market_data.configure');
    expect(configure?.payload).toEqual({ chain: ['polygon', 'alpha_vantage'] });
    expect(h.calls.find((c) => c.pattern === 'algorithms.reload')?.payload).toEqual({
      source_chain: ['polygon', 'alpha_vantage'],
    });
    expect(h.calls.find((c) => c.pattern === 'fetch_market_data')?.payload).toEqual({
      symbol: 'SPY',
      limit: 5,
    });
    expect((await h.conclave.store.settings.get('market_data.source_chain'))?.value).toEqual([
      'polygon',
      'alpha_vantage',
    ]);
    expect((await h.conclave.store.settings.get('trading.real_data_enabled'))?.value).toBe(true);
    expect((rec.output as Record<string, unknown>)['switching_data_sources']).toMatchObject({
      rejected: ['yahoo', 'stale_feed'],
    });
    expect(h.stepOrder(runId)).toEqual([
      'validating_data_connections',
      'switching_data_sources',
      'updating_algorithms',
      'testing_data_flow',
      'enabling_real_trading',
    ]);
  });

  it('fails clearly when no source is valid, and enables nothing', async () => {
    h.behaviour['market_data.validate_source'] = (req) => ({ valid: req.payload['source'] === 'none' });
    const runId = await h.conclave.commands.integrateRealData({
      primarySource: 'polygon',
      fallbackSources: ['yahoo'],
    });
    const rec = await h.finish(runId);
    expect(rec.status).toBe('failed');
    expect(rec.error?.message).toBe(
      'no valid market data source: polygon (reported invalid), yahoo (reported invalid)',
    );
    expect(h.calls.some((c) => c.pattern === 'market_data.configure')).toBe(false);
    expect(await h.conclave.store.settings.get('trading.real_data_enabled')).toBeUndefined();
  });

  it('fails the data flow test when no bars come back', async () => {
    h.behaviour['fetch_market_data'] = () => ({ bars: [] });
    const rec = await h.finish(await h.conclave.commands.integrateRealData({ primarySource: 'polygon' }));
    expect(rec.status).toBe('failed');
    expect(rec.error?.message).toMatch(/data flow test failed: fetch_market_data returned no bars for SPY/);
    expect(await h.conclave.store.settings.get('market_data.source_chain')).toBeUndefined();
  });

  it('names a bad fallback source', async () => {
    const err = await h.conclave.commands
      .receiveCommand(
        'integrate_real_data',
        { primary_source: 'polygon', fallback_sources: ['ok', 'bad source'] },
        'ops',
      )
      .catch((e: unknown) => e);
    expect(isConclaveError(err, 'VALIDATION_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(/^parameters\.fallback_sources\.1: must be a data source name/);
  });
});

describe('validate_algorithms', () => {
  let h: CommandHarness;
  beforeEach(async () => {
    h = await makeCommandHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('backtests, ranks by Sharpe then return, optimizes the best and records the report', async () => {
    const figures: Record<string, [number, number]> = {
      legacy_v0: [0.9, 0.3],
      hybrid_v1: [1.8, 0.1],
      momentum_v2: [1.8, 0.2],
    };
    h.behaviour['backtest.run'] = (req) => {
      const s = String(req.payload['strategy']);
      const f = figures[s];
      if (f === undefined) throw new ConclaveError('AGENT_ERROR', `no data for ${s}`, { retryable: false });
      return { sharpe_ratio: f[0], total_return: f[1] };
    };
    const runId = await h.conclave.commands.validateAlgorithms(
      { strategies: ['legacy_v0', 'hybrid_v1', 'broken_v9', 'momentum_v2'], validationPeriod: '6M' },
      'management_agent',
    );
    const rec = await h.finish(runId);
    expect(rec.status).toBe('completed');
    expect(h.calls.find((c) => c.pattern === 'fetch_market_data')?.payload).toEqual({ period: '6M' });
    expect(h.calls.filter((c) => c.pattern === 'backtest.run')).toHaveLength(4);
    expect(h.calls.find((c) => c.pattern === 'strategy.optimize')?.payload).toEqual({
      strategy: 'momentum_v2',
      period: '6M',
    });
    const report = (await h.conclave.store.settings.get('validation.last_report'))?.value as Record<
      string,
      unknown
    >;
    expect(report['best']).toBe('momentum_v2');
    expect((report['ranking'] as { strategy: string }[]).map((r) => r.strategy)).toEqual([
      'momentum_v2',
      'hybrid_v1',
      'legacy_v0',
    ]);
    expect(report['failed']).toEqual([
      { strategy: 'broken_v9', error: expect.stringContaining('no data for broken_v9') as unknown },
    ]);
    const audit = await h.conclave.store.audit.list({ kind: 'algorithm_validation' });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      corrId: runId,
      actor: 'management_agent',
      data: { best: 'momentum_v2' },
    });
    expect(h.stepOrder(runId)).toEqual([
      'preparing_validation_data',
      'running_backtests',
      'analyzing_performance',
      'optimizing_parameters',
      'generating_recommendations',
    ]);
  });

  it('fails when every backtest failed, listing them', async () => {
    h.behaviour['backtest.run'] = () => {
      throw new ConclaveError('AGENT_ERROR', 'engine down', { retryable: false });
    };
    const rec = await h.finish(
      await h.conclave.commands.validateAlgorithms({ strategies: ['a', 'b'], validationPeriod: '30D' }),
    );
    expect(rec.status).toBe('failed');
    expect(rec.error?.message).toMatch(/every backtest failed \(a: .*engine down.*; b: .*engine down.*\)/);
    expect(await h.conclave.store.settings.get('validation.last_report')).toBeUndefined();
  });

  it('names a bad period and an empty strategy list', async () => {
    const period = await h.conclave.commands
      .validateAlgorithms({ strategies: ['a'], validationPeriod: 'six months' })
      .catch((e: unknown) => e);
    expect((period as Error).message).toBe(
      'parameters.validation_period: must be a period like 30D, 12W, 6M or 1Y',
    );
    const empty = await h.conclave.commands
      .validateAlgorithms({ strategies: [], validationPeriod: '6M' })
      .catch((e: unknown) => e);
    expect((empty as Error).message).toBe('parameters.strategies: must name at least one strategy');
  });
});
