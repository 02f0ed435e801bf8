import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/index.ts';
import { getJson, makeTestServer, postJson, type TestServer } from './helpers.ts';
import { tempDbPaths } from '../support/temp-db.ts';
import { HOLD_DATA_RULES, IBM_MOMENTUM, strategyReached, tradingAgents } from './strategy-support.ts';

const freshPath = tempDbPaths('strategy-restart');

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** Starts IBM_MOMENTUM in a process whose data agent never answers, and stops that process. */
async function leaveRunning(path: string): Promise<string> {
  t = await makeTestServer({
    storePath: path,
    agents: tradingAgents(),
    config: { routing_rules: HOLD_DATA_RULES },
  });
  const res = await postJson(t.app, '/strategies', IBM_MOMENTUM);
  expect(res.status).toBe(202);
  const runId = res.body['run_id'] as string;
  await strategyReached(t, 'ibm_momentum', ['running']);
  await t.close();
  t = undefined;
  // What the file holds: the run unfinished in the journal, the strategy still pointing at it.
  const store = await openSqliteStore({ path });
  try {
    expect((await store.workflows.getRun(runId))?.status).toBe('running');
    expect((await store.strategies.get('ibm_momentum'))?.runId).toBe(runId);
  } finally {
    await store.close();
  }
  return runId;
}

describe('strategy runs across a restart', () => {
  it('resumes a run that was in flight at shutdown, to completion, under the same run id', async () => {
    const path = freshPath();
    const runId = await leaveRunning(path);

    // The next start serves market data: the journaled run resumes before requests are served.
    t = await makeTestServer({ storePath: path, agents: tradingAgents(), config: { routing_rules: [] } });
    const done = await strategyReached(t, 'ibm_momentum', ['completed']);
    expect(done).toMatchObject({ strategy_id: 'ibm_momentum', run_id: runId, status: 'completed' });
    const execution = done['execution'] as {
      run_id: string;
      steps: Record<string, { status: string }>;
      result: { decisions: Record<string, unknown>[]; orders: Record<string, unknown>[] };
    };
    expect(execution.run_id).toBe(runId);
    expect(Object.values(execution.steps).every((s) => s.status === 'completed')).toBe(true);
    expect(execution.result.decisions).toHaveLength(1);
    expect(execution.result.decisions[0]).toMatchObject({ action: 'trade', direction: 'up' });
    expect(execution.result.orders).toHaveLength(1);
    // Only the one run: it resumed, nothing started it again.
    const runs = (await getJson(t.app, '/workflows')).body['workflows'] as { workflow_id: string }[];
    expect(runs.map((r) => r.workflow_id)).toEqual([runId]);
  });

  it('ends a run the next process cannot resume as failed, saying which step lacks an agent', async () => {
    const path = freshPath();
    const runId = await leaveRunning(path);

    // The next start has no market data agent: the run cannot go on, and must not hang.
    t = await makeTestServer({ storePath: path });
    const failed = (await getJson(t.app, '/strategies/ibm_momentum')).body;
    expect(failed).toMatchObject({ run_id: runId, status: 'failed' });
    const error = (failed['execution'] as { error: { message: string } }).error;
    expect(error.message).toContain('fetch_market_data');
    // Stopping it now is a no-op; running it again is allowed (and refused here for want of agents).
    const del = await t.app.inject({ method: 'DELETE', url: '/strategies/ibm_momentum' });
    expect(del.json()).toMatchObject({ status: 'failed', stopped: false });
    expect((await postJson(t.app, '/strategies', IBM_MOMENTUM)).status).toBe(503);
  });
});
