import { afterEach, describe, expect, it, vi } from 'vitest';
import { openSqliteStore, type BacktestRecord } from '../../src/store/index.ts';
import { getJson, makeTestServer, postJson, type TestServer } from './helpers.ts';
import { tempDbPaths } from '../support/temp-db.ts';
import { backtestFinished, stuckSource } from './backtest-support.ts';

const freshPath = tempDbPaths('backtest-restart');

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const inline = { name: 'SPX momentum', symbols: ['SPX'], template: 'momentum' };
const window2008 = { from: '2008-01-01', to: '2008-12-31' };

describe('backtests across a restart', () => {
  it('runs again, to the same result, what a killed process left running or queued; fails what it cannot re-plan', async () => {
    const path = freshPath();
    // A first process runs a backtest to completion: the reference result.
    t = await makeTestServer({ storePath: path });
    const res = await postJson(t.app, '/backtest', {
      strategy: inline,
      ...window2008,
      initial_cash: 250_000,
    });
    expect(res.status).toBe(202);
    const id = res.body['backtest_id'] as string;
    const reference = await backtestFinished(t, id, '?include=equity,trades');
    expect(reference['status']).toBe('completed');
    const recorded = (await t.conclave.store.backtests.get(id))!;
    await t.close();
    t = undefined;

    // What a process killed mid-run leaves behind, written straight to the file.
    const store = await openSqliteStore({ path });
    // The same run, rewound to the moment it was running (the runner had written nothing else yet).
    await store.db
      .updateTable('backtests')
      .set({ status: 'running', summary: null, manifest: null, artifacts: null, finished_at: null })
      .where('id', '=', id)
      .execute();
    const base: BacktestRecord = {
      ...recorded,
      status: 'queued',
      summary: null,
      manifest: null,
      error: null,
      startedAt: null,
      finishedAt: null,
    };
    await store.backtests.insert({ ...base, id: 'bt_queued_at_crash', createdAt: recorded.createdAt + 1 });
    // A record this version cannot plan any more (its data is not bundled): failed, not guessed at.
    await store.backtests.insert({
      ...base,
      id: 'bt_unplannable',
      options: {
        ...recorded.options,
        strategy: { ...(recorded.options['strategy'] as Record<string, unknown>), symbols: ['TSLA'] },
      },
    });
    const failedBefore = { ...base, id: 'bt_failed_before', status: 'failed' as const, finishedAt: 5 };
    await store.backtests.insert({
      ...failedBefore,
      error: { code: 'VALIDATION_FAILED', message: 'no bars', retryable: false },
    });
    expect((await store.backtests.get(id))?.status).toBe('running');
    await store.close();

    // The next start picks them up before serving requests.
    t = await makeTestServer({ storePath: path });
    const rerun = await backtestFinished(t, id, '?include=equity,trades');
    expect(rerun['status']).toBe('completed');
    // Deterministic: the same id, request and data give the same run, manifest hashes included.
    expect(rerun['summary']).toEqual(reference['summary']);
    expect(rerun['manifest']).toEqual(reference['manifest']);
    expect(rerun['equity']).toEqual(reference['equity']);
    expect(rerun['trades']).toEqual(reference['trades']);
    expect(rerun['request']).toEqual(reference['request']);

    const queued = await backtestFinished(t, 'bt_queued_at_crash');
    expect(queued['status']).toBe('completed');
    expect(queued['summary']).toEqual(reference['summary']);
    const manifest = queued['manifest'] as Record<string, unknown>;
    const refManifest = reference['manifest'] as Record<string, unknown>;
    expect(manifest['dataHash']).toBe(refManifest['dataHash']);
    expect(manifest['runId']).toBe('bt_queued_at_crash');

    const unplannable = await backtestFinished(t, 'bt_unplannable');
    expect(unplannable).toMatchObject({ status: 'failed', error: { code: 'SHUTTING_DOWN' } });
    const message = (unplannable['error'] as { message: string }).message;
    expect(message).toMatch(/^interrupted by shutdown; resubmit \(.*TSLA/);

    // Records that had ended are left as they were.
    const untouched = await t.conclave.store.backtests.get('bt_failed_before');
    expect(untouched).toMatchObject({ status: 'failed', finishedAt: 5, error: { message: 'no bars' } });
    const recovered = await t.conclave.metrics.text();
    expect(recovered).toContain('conclave_backtests_recovered_total{outcome="requeued"} 2');
    expect(recovered).toContain('conclave_backtests_recovered_total{outcome="failed"} 1');
  });

  it('puts running and queued backtests back to queued on a graceful stop, and runs them on the next start', async () => {
    const path = freshPath();
    t = await makeTestServer({
      storePath: path,
      app: { env: {}, backtests: { maxConcurrent: 1, maxQueued: 1, source: stuckSource } },
    });
    const first = await postJson(t.app, '/backtest', { strategy: inline, ...window2008 });
    const second = await postJson(t.app, '/backtest', { strategy: inline, ...window2008 });
    const ids = [first.body['backtest_id'] as string, second.body['backtest_id'] as string];
    await vi.waitFor(async () =>
      expect((await getJson(t!.app, `/backtest/${ids[0]}`)).body['status']).toBe('running'),
    );
    await t.app.close();
    for (const id of ids) {
      expect(await t.conclave.store.backtests.get(id)).toMatchObject({
        status: 'queued',
        startedAt: null,
        error: null,
      });
    }
    await t.close();
    t = undefined;

    t = await makeTestServer({ storePath: path });
    for (const id of ids) {
      const done = await backtestFinished(t, id);
      expect(done).toMatchObject({ status: 'completed', error: null, progress: 1 });
    }
  });

  it("leaves a live peer's backtests to it (another instance_id on the same database), and runs them on the owner's restart", async () => {
    const path = freshPath();
    const as = (instance_id: string) => ({ server: { instance_id } });
    const stuck = { env: {}, backtests: { maxConcurrent: 1, source: stuckSource } };
    let a: TestServer | undefined;
    let b: TestServer | undefined;
    let id: string;
    try {
      // Process A accepts a backtest and is running it.
      a = await makeTestServer({ storePath: path, config: as('orch-a:8000'), app: stuck });
      const res = await postJson(a.app, '/backtest', { strategy: inline, ...window2008 });
      id = res.body['backtest_id'] as string;
      await vi.waitFor(async () =>
        expect((await getJson(a!.app, `/backtest/${id}`)).body['status']).toBe('running'),
      );
      const running = (await a.conclave.store.backtests.get(id))!;
      expect(running.owner).toBe('orch-a:8000');
      // A row from before owners were recorded: whoever starts may recover it.
      await a.conclave.store.backtests.insert({
        ...running,
        id: 'bt_unowned',
        status: 'queued',
        owner: null,
      });

      // Process B starts on the same database while A runs: it takes the unowned row, not A's run.
      b = await makeTestServer({ storePath: path, config: as('orch-b:8000'), app: stuck });
      expect(await b.conclave.metrics.text()).toContain(
        'conclave_backtests_recovered_total{outcome="requeued"} 1',
      );
      // Recovery starts runs before the app is ready: a run B had taken would be running in B.
      expect((await getJson(b.app, '/backtest/bt_unowned')).body).toMatchObject({
        status: 'running',
        progress: 0,
      });
      expect((await getJson(b.app, `/backtest/${id}`)).body).toMatchObject({
        status: 'running',
        progress: null,
      });
      expect((await getJson(a.app, `/backtest/${id}`)).body['progress']).toBe(0);
      expect(await b.conclave.store.backtests.get(id)).toStrictEqual(running);
      await b.close();
      b = undefined;

      // A stops gracefully: its run goes back to queued, still its own.
      await a.close();
      a = undefined;
      const left = await openSqliteStore({ path });
      expect(await left.backtests.get(id)).toMatchObject({ status: 'queued', owner: 'orch-a:8000' });
      await left.close();

      // B starting again while A is down still leaves A's backtest alone (it takes the unowned one).
      b = await makeTestServer({ storePath: path, config: as('orch-b:8000'), app: stuck });
      expect(await b.conclave.metrics.text()).toContain(
        'conclave_backtests_recovered_total{outcome="requeued"} 1',
      );
      expect((await getJson(b.app, '/backtest/bt_unowned')).body['status']).toBe('running');
      expect(await b.conclave.store.backtests.get(id)).toMatchObject({ status: 'queued', startedAt: null });
    } finally {
      await b?.close();
      await a?.close();
    }

    // A restarts under its instance id and runs its backtest to the end.
    t = await makeTestServer({ storePath: path, config: as('orch-a:8000') });
    expect(await backtestFinished(t, id)).toMatchObject({ status: 'completed', error: null, progress: 1 });
    expect(await t.conclave.metrics.text()).toContain(
      'conclave_backtests_recovered_total{outcome="requeued"} 2',
    );
  });
});
