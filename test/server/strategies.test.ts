import { afterEach, describe, expect, it } from 'vitest';
import { getJson, makeTestServer, postJson, type TestServer } from './helpers.ts';
import { HOLD_DATA_RULES, IBM_MOMENTUM, strategyReached, tradingAgents } from './strategy-support.ts';

let t: TestServer;

/** DELETE /strategies/{id}, which must answer 200; its body. */
async function stopStrategy(id: string): Promise<unknown> {
  const res = await t.app.inject({ method: 'DELETE', url: `/strategies/${id}` });
  expect(res.statusCode).toBe(200);
  return res.json();
}
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
  it('executes a full strategy and a template one, lists and reads them, and stops one', async () => {
    // Every fetch goes to the agent that never answers: both runs stay at their first step.
    t = await makeTestServer({ agents: tradingAgents(), config: { routing_rules: HOLD_DATA_RULES } });
    const a = await postJson(t.app, '/strategies', full);
    expect(a.status).toBe(202);
    expect(a.body).toMatchObject({
      strategy_id: 'spx_trend',
      name: 'SPX trend',
      template: null,
      strategy: { symbols: ['SPX'], lookback_period: 30, rebalance_frequency: 'daily', description: '' },
      created_at: '2025-11-03T10:30:00.000Z',
      links: { self: '/strategies/spx_trend' },
    });
    expect(['queued', 'running']).toContain(a.body['status']);
    const aRun = a.body['run_id'] as string;
    expect(aRun).toMatch(/^wf_/);
    await t.clock.advance(60_000);
    const b = await postJson(t.app, '/strategies', {
      name: 'Tech momentum',
      symbols: ['AAPL', 'MSFT'],
      template: 'momentum',
      parameters: { position_size: 0.5 },
    });
    expect(b.status).toBe(202);
    const bId = b.body['strategy_id'] as string;
    expect(bId).toMatch(/^strategy_/);
    expect(b.body['strategy']).toMatchObject({
      lookback_period: 20,
      parameters: { position_size: 0.5, signal_threshold: 0.02, template: 'momentum' },
    });
    const list = await getJson(t.app, '/strategies');
    expect(list.status).toBe(200);
    const listed = list.body['strategies'] as { strategy_id: string; run_id: string }[];
    expect(listed.map((s) => [s.strategy_id, s.run_id])).toEqual([
      [bId, b.body['run_id']],
      ['spx_trend', aRun],
    ]);
    const page = await getJson(t.app, '/strategies?limit=1&offset=1');
    expect((page.body['strategies'] as { strategy_id: string }[]).map((s) => s.strategy_id)).toEqual([
      'spx_trend',
    ]);

    const one = await strategyReached(t, 'spx_trend', ['running']);
    const { status: _status, links: _links, ...stored } = a.body;
    expect(one).toMatchObject(stored);
    expect(one['execution']).toMatchObject({
      run_id: aRun,
      status: 'running',
      progress: 0,
      current_step: 'fetch_data',
      error: null,
      finished_at: null,
      result: null,
    });
    const steps = (one['execution'] as { steps: Record<string, { status: string }> }).steps;
    expect(Object.keys(steps).sort()).toEqual(
      ['correlation', 'decide', 'execute', 'fetch_data', 'momentum', 'risk', 'transaction_cost'].sort(),
    );
    expect(steps['fetch_data']?.status).toBe('running');
    expect(steps['decide']?.status).toBe('pending');

    // DELETE stops the run; the strategy stays, its status showing the stop.
    expect(await stopStrategy('spx_trend')).toEqual({
      strategy_id: 'spx_trend',
      run_id: aRun,
      status: 'cancelled',
      stopped: true,
    });
    const stopped = await getJson(t.app, '/strategies/spx_trend');
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ status: 'cancelled', run_id: aRun });
    const execution = stopped.body['execution'] as {
      status: string;
      error: { code: string; message: string };
    };
    expect(execution.status).toBe('cancelled');
    expect(execution.error.code).toBe('CANCELLED');
    expect(execution.error.message).toContain('DELETE /strategies/spx_trend');
    expect((await getJson(t.app, `/workflows/${aRun}`)).body['status']).toBe('cancelled');
    // Idempotent: a second stop changes nothing and says so.
    expect(await stopStrategy('spx_trend')).toEqual({
      strategy_id: 'spx_trend',
      run_id: aRun,
      status: 'cancelled',
      stopped: false,
    });
    // The other strategy runs on.
    expect((await getJson(t.app, `/strategies/${bId}`)).body['status']).toBe('running');
    expect((await getJson(t.app, '/strategies')).body['strategies']).toHaveLength(2);
  });

  it('runs a strategy on real market data: running, then completed with signals, decisions and orders', async () => {
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    t = await makeTestServer({ agents: tradingAgents({ gate }), config: { routing_rules: [] } });
    const res = await postJson(t.app, '/strategies', IBM_MOMENTUM);
    expect(res.status).toBe(202);
    const runId = res.body['run_id'] as string;
    const running = await strategyReached(t, 'ibm_momentum', ['running']);
    expect(running['execution']).toMatchObject({ run_id: runId, current_step: 'fetch_data', result: null });

    open();
    const done = await strategyReached(t, 'ibm_momentum', ['completed']);
    const execution = done['execution'] as {
      status: string;
      progress: number;
      error: unknown;
      finished_at: string | null;
      steps: Record<string, { status: string }>;
      result: {
        signals: Record<string, unknown>[];
        decisions: Record<string, unknown>[];
        orders: Record<string, unknown>[];
      };
    };
    expect(execution).toMatchObject({ status: 'completed', progress: 1, error: null });
    expect(execution.finished_at).not.toBeNull();
    expect(Object.values(execution.steps).every((s) => s.status === 'completed')).toBe(true);
    const { signals, decisions, orders } = execution.result;
    expect(signals.map((s) => s['agent_name']).sort()).toEqual(['correlation', 'momentum', 'risk']);
    expect(signals.map((s) => (s['source_signal'] as { instrument: string }).instrument)).toEqual([
      'IBM',
      'IBM',
      'IBM',
    ]);
    // The bundled data is fixed, so the verdict is too.
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({
      policy: 'rule_based',
      action: 'trade',
      direction: 'up',
      reason: 'high_confidence_momentum',
    });
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({
      decision_id: decisions[0]!['decision_id'],
      order: { symbol: 'IBM', side: 'buy' },
    });
    // The same run, as the workflow API shows it.
    expect((await getJson(t.app, `/workflows/${runId}`)).body).toMatchObject({
      workflow_id: runId,
      name: 'strategy.ibm_momentum',
      status: 'completed',
    });
    // Counted by family, not by the caller's strategy id: the label stays bounded.
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('conclave_workflow_runs_total{workflow="strategy",status="completed"} 1');
    expect(metrics).not.toContain('ibm_momentum');
    // Stopping a finished run is a no-op that reports how it ended.
    expect(await stopStrategy('ibm_momentum')).toEqual({
      strategy_id: 'ibm_momentum',
      run_id: runId,
      status: 'completed',
      stopped: false,
    });
  });

  it('refuses a second POST while the run is live with 409, and runs the strategy again once it has ended', async () => {
    t = await makeTestServer({ agents: tradingAgents(), config: { routing_rules: HOLD_DATA_RULES } });
    const first = await postJson(t.app, '/strategies', full);
    expect(first.status).toBe(202);
    const firstRun = first.body['run_id'] as string;
    const dup = await postJson(t.app, '/strategies', full);
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ code: 'CONFLICT', status_code: 409 });
    expect(dup.body['detail']).toContain(`strategy 'spx_trend' is still`);
    expect(dup.body['detail']).toContain(firstRun);
    expect(dup.body['detail']).toContain('DELETE /strategies/spx_trend');
    // The refused request started nothing.
    const runs = (await getJson(t.app, '/workflows')).body['workflows'] as { name: string }[];
    expect(runs.filter((r) => r.name === 'strategy.spx_trend')).toHaveLength(1);

    expect((await t.app.inject({ method: 'DELETE', url: '/strategies/spx_trend' })).statusCode).toBe(200);
    await t.clock.advance(60_000);
    const rerun = await postJson(t.app, '/strategies', { ...full, name: 'SPX trend, again' });
    expect(rerun.status).toBe(202);
    expect(rerun.body).toMatchObject({
      strategy_id: 'spx_trend',
      name: 'SPX trend, again',
      created_at: '2025-11-03T10:30:00.000Z',
      updated_at: '2025-11-03T10:31:00.000Z',
    });
    expect(rerun.body['run_id']).not.toBe(firstRun);
    const now = await strategyReached(t, 'spx_trend', ['running']);
    expect(now['run_id']).toBe(rerun.body['run_id']);
    // The earlier run is kept in the workflow journal.
    expect((await getJson(t.app, `/workflows/${firstRun}`)).body['status']).toBe('cancelled');
  });

  it('lets one of two concurrent POSTs of an id run it; the other gets 409 and leaves no run going', async () => {
    t = await makeTestServer({ agents: tradingAgents(), config: { routing_rules: HOLD_DATA_RULES } });
    const answers = await Promise.all([
      postJson(t.app, '/strategies', full),
      postJson(t.app, '/strategies', { ...full, name: 'SPX trend, twice' }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
    const winner = answers.find((a) => a.status === 202)!;
    const stored = await getJson(t.app, '/strategies/spx_trend');
    expect(stored.body).toMatchObject({ name: winner.body['name'], run_id: winner.body['run_id'] });
    // Whichever way the loser lost (seen running, or beaten to the insert), no second run goes on.
    const runs = (await getJson(t.app, '/workflows')).body['workflows'] as {
      workflow_id: string;
      name: string;
      status: string;
    }[];
    const live = runs.filter((r) => r.name === 'strategy.spx_trend' && r.status !== 'cancelled');
    expect(live.map((r) => r.workflow_id)).toEqual([winner.body['run_id']]);
  });

  it('shows a strategy stored before strategies ran as not_started, and runs it on its next POST', async () => {
    t = await makeTestServer({ agents: tradingAgents(), config: { routing_rules: HOLD_DATA_RULES } });
    const definition = { ...full, description: '', rebalance_frequency: 'daily' };
    await t.conclave.store.strategies.insert({
      id: 'spx_trend',
      name: 'SPX trend',
      template: null,
      definition,
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_000,
      runId: null,
    });
    const legacy = await getJson(t.app, '/strategies/spx_trend');
    expect(legacy.body).toMatchObject({ run_id: null, status: 'not_started', execution: null });
    expect(await stopStrategy('spx_trend')).toEqual({
      strategy_id: 'spx_trend',
      run_id: null,
      status: 'not_started',
      stopped: false,
    });
    const run = await postJson(t.app, '/strategies', full);
    expect(run.status).toBe(202);
    expect(run.body['created_at']).toBe('2023-11-14T22:13:20.000Z');
    const running = await strategyReached(t, 'spx_trend', ['running']);
    expect(running['run_id']).toBe(run.body['run_id']);
  });

  it('answers 503 naming the pattern when no agent can run a step, and stores nothing', async () => {
    t = await makeTestServer();
    const res = await postJson(t.app, '/strategies', full);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 'AGENT_UNAVAILABLE' });
    expect(res.body['detail']).toContain("strategy 'spx_trend' cannot run here");
    expect(res.body['detail']).toContain('fetch_market_data');
    expect((await getJson(t.app, '/strategies/spx_trend')).status).toBe(404);
    expect((await getJson(t.app, '/strategies')).body['strategies']).toEqual([]);
  });

  it('answers 404 for an unknown id, to GET and DELETE', async () => {
    t = await makeTestServer();
    const get = await getJson(t.app, '/strategies/nope');
    expect(get.status).toBe(404);
    expect(get.body).toMatchObject({ code: 'NOT_FOUND', detail: "no strategy 'nope'" });
    const del = await t.app.inject({ method: 'DELETE', url: '/strategies/nope' });
    expect(del.statusCode).toBe(404);
    expect(del.json()).toMatchObject({ code: 'NOT_FOUND', detail: "no strategy 'nope'" });
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
