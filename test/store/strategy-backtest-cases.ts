import { describe, expect, it } from 'vitest';
import { isConclaveError } from '../../src/core/errors.ts';
import type { BacktestQuery, BacktestRecord, StrategyRecord } from '../../src/store/store.ts';
import { uid } from './fixtures.ts';
import type { StoreAccess } from './store-contract.ts';

/** A stored strategy with non-trivial JSON; `overrides` win. */
export function makeStrategy(overrides: Partial<StrategyRecord> = {}): StrategyRecord {
  return {
    id: uid('strat'),
    name: 'Momentum — S&P 500 📈',
    template: 'momentum',
    definition: {
      symbols: ['SPX'],
      parameters: { position_size: 0.2, nested: { ok: true, list: [1, null] } },
    },
    createdAt: 4_102_444_800_000,
    updatedAt: 8_640_000_000_000_000,
    runId: uid('wf'),
    ...overrides,
  };
}

/** A queued backtest; `overrides` win. */
export function makeBacktest(overrides: Partial<BacktestRecord> = {}): BacktestRecord {
  return {
    id: uid('bt'),
    strategyId: null,
    status: 'queued',
    options: { from: '2008-01-01', to: '2008-12-31', initial_cash: 100_000, policy: 'rule_based' },
    summary: null,
    manifest: null,
    error: null,
    createdAt: 1_700_000_000_000,
    startedAt: null,
    finishedAt: null,
    owner: 'orchestrator-a:8000',
    ...overrides,
  };
}

/** Strategy and backtest cases of the store contract. */
export function strategyBacktestCases(store: StoreAccess): void {
  const strategies = () => store().strategies;
  const backtests = () => store().backtests;

  describe('strategies', () => {
    it('keeps every field, types included, and a null template and run', async () => {
      const full = makeStrategy();
      const bare = makeStrategy({ template: null, createdAt: 1, updatedAt: 2, runId: null });
      await strategies().insert(full);
      await strategies().insert(bare);
      expect(await strategies().get(full.id)).toStrictEqual(full);
      expect(await strategies().get(bare.id)).toStrictEqual(bare);
      expect(await strategies().get('no-such-strategy')).toBeUndefined();
    });

    it('refuses a taken id with CONFLICT and keeps the first', async () => {
      const first = makeStrategy();
      await strategies().insert(first);
      const err = await strategies()
        .insert({ ...first, name: 'other' })
        .catch((e: unknown) => e);
      expect(isConclaveError(err, 'CONFLICT')).toBe(true);
      expect((await strategies().get(first.id))?.name).toBe(first.name);
    });

    it('points a strategy at a new run only from the run it still points at', async () => {
      const legacy = makeStrategy({ runId: null, createdAt: 1_000, updatedAt: 1_000 });
      await strategies().insert(legacy);
      const rerun = (expectedRunId: string | null, runId: string, updatedAt: number) => ({
        expectedRunId,
        runId,
        name: `run ${runId}`,
        template: null,
        definition: { symbols: ['IBM'], lookback_period: 5, note: runId },
        updatedAt,
      });
      // From none to a first run; then a second request still expecting none loses.
      expect(await strategies().replaceRun(legacy.id, rerun(null, 'wf_1', 2_000))).toBe(true);
      expect(await strategies().replaceRun(legacy.id, rerun(null, 'wf_x', 2_500))).toBe(false);
      expect(await strategies().replaceRun(legacy.id, rerun('wf_0', 'wf_x', 2_500))).toBe(false);
      expect(await strategies().get(legacy.id)).toStrictEqual({
        ...legacy,
        name: 'run wf_1',
        template: null,
        definition: { symbols: ['IBM'], lookback_period: 5, note: 'wf_1' },
        updatedAt: 2_000,
        runId: 'wf_1',
      });
      // From that run to the next: the creation time is kept.
      expect(await strategies().replaceRun(legacy.id, rerun('wf_1', 'wf_2', 3_000))).toBe(true);
      expect(await strategies().get(legacy.id)).toMatchObject({
        runId: 'wf_2',
        createdAt: 1_000,
        updatedAt: 3_000,
      });
      expect(await strategies().replaceRun('no-such-strategy', rerun(null, 'wf_3', 4_000))).toBe(false);
      expect(await strategies().list()).toHaveLength(1);
    });

    it('lists newest first with paging, and deletes once', async () => {
      const made = [3, 1, 2].map((n) => makeStrategy({ id: `s${n}-${uid('x')}`, createdAt: n * 1000 }));
      for (const s of made) await strategies().insert(s);
      const ids = (await strategies().list()).map((s) => s.createdAt);
      expect(ids).toEqual([3000, 2000, 1000]);
      expect((await strategies().list({ limit: 1, offset: 1 })).map((s) => s.createdAt)).toEqual([2000]);
      await expect(strategies().list({ limit: 0 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(strategies().list({ offset: -1 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      const victim = made[0]!;
      expect(await strategies().delete(victim.id)).toBe(true);
      expect(await strategies().delete(victim.id)).toBe(false);
      expect(await strategies().get(victim.id)).toBeUndefined();
      expect(await strategies().list()).toHaveLength(2);
    });
  });

  describe('backtests', () => {
    it('goes queued → running → completed, keeping every field and the artifacts apart', async () => {
      const bt = makeBacktest({ strategyId: 'strat-1' });
      await backtests().insert(bt);
      expect(await backtests().get(bt.id)).toStrictEqual(bt);
      expect(await backtests().getArtifacts(bt.id)).toBeUndefined();
      await backtests().update(bt.id, { status: 'running', startedAt: 1_700_000_000_500 });
      expect(await backtests().get(bt.id)).toMatchObject({ status: 'running', startedAt: 1_700_000_000_500 });
      const summary = { metrics: { sharpe: 0.42, maxDrawdown: 0.1, cagr: null }, stats: { bars: 252 } };
      const manifest = {
        format: 'conclave.backtest.manifest/1',
        dataHash: 'ab'.repeat(32),
        symbols: ['SPX'],
      };
      const artifacts = { equity: [{ timestampMs: 1, equityMoney: 100_000.5 }], trades: [] };
      await backtests().update(bt.id, {
        status: 'completed',
        summary,
        manifest,
        artifacts,
        finishedAt: Number.MAX_SAFE_INTEGER,
      });
      expect(await backtests().get(bt.id)).toStrictEqual({
        ...bt,
        status: 'completed',
        summary,
        manifest,
        startedAt: 1_700_000_000_500,
        finishedAt: Number.MAX_SAFE_INTEGER,
      });
      expect(await backtests().getArtifacts(bt.id)).toStrictEqual(artifacts);
    });

    it('records a failure with its error', async () => {
      const bt = makeBacktest();
      await backtests().insert(bt);
      const error = { code: 'VALIDATION_FAILED' as const, message: 'bars: none — ⚠', retryable: false };
      await backtests().update(bt.id, { status: 'failed', error, finishedAt: 5 });
      const read = await backtests().get(bt.id);
      expect(read?.error).toStrictEqual(error);
      expect(read?.status).toBe('failed');
      expect(read?.finishedAt).toBe(5);
    });

    it('goes back to queued with its start cleared (a run interrupted by shutdown)', async () => {
      const bt = makeBacktest({ status: 'running', startedAt: 1_700_000_000_500 });
      await backtests().insert(bt);
      await backtests().update(bt.id, { status: 'queued', startedAt: null });
      expect(await backtests().get(bt.id)).toStrictEqual({ ...bt, status: 'queued', startedAt: null });
    });

    it('refuses a taken id and an update of an unknown one', async () => {
      const bt = makeBacktest();
      await backtests().insert(bt);
      const dup = await backtests()
        .insert(bt)
        .catch((e: unknown) => e);
      expect(isConclaveError(dup, 'CONFLICT')).toBe(true);
      const missing = await backtests()
        .update('no-such-backtest', { status: 'running' })
        .catch((e: unknown) => e);
      expect(isConclaveError(missing, 'NOT_FOUND')).toBe(true);
      expect(await backtests().get('no-such-backtest')).toBeUndefined();
    });

    it('lists newest first, by strategy and by status', async () => {
      const a = makeBacktest({ strategyId: 'sa', createdAt: 1000 });
      const b = makeBacktest({ strategyId: 'sb', createdAt: 3000, status: 'running', startedAt: 3001 });
      const c = makeBacktest({ strategyId: 'sa', createdAt: 2000 });
      for (const bt of [a, b, c]) await backtests().insert(bt);
      expect((await backtests().list()).map((r) => r.id)).toEqual([b.id, c.id, a.id]);
      expect((await backtests().list({ strategyId: 'sa' })).map((r) => r.id)).toEqual([c.id, a.id]);
      expect((await backtests().list({ statuses: ['running'] })).map((r) => r.id)).toEqual([b.id]);
      expect(await backtests().list({ statuses: [] })).toEqual([]);
      expect((await backtests().list({ limit: 1, offset: 2 })).map((r) => r.id)).toEqual([a.id]);
    });

    it('keeps a null owner (a record from before owners were recorded)', async () => {
      const bt = makeBacktest({ owner: null });
      await backtests().insert(bt);
      expect(await backtests().get(bt.id)).toStrictEqual(bt);
    });

    it('lists for an owner only its own runs and unowned ones, with the other filters', async () => {
      const mine = makeBacktest({ createdAt: 1000, owner: 'orch-a:8000' });
      const peers = makeBacktest({
        createdAt: 2000,
        owner: 'orch-b:8000',
        status: 'running',
        startedAt: 2001,
      });
      const legacy = makeBacktest({ createdAt: 3000, owner: null, status: 'running', startedAt: 3001 });
      const mineDone = makeBacktest({ createdAt: 4000, owner: 'orch-a:8000', status: 'completed' });
      // An owner that differs only in case is another owner.
      const lookalike = makeBacktest({ createdAt: 5000, owner: 'ORCH-A:8000' });
      for (const bt of [mine, peers, legacy, mineDone, lookalike]) await backtests().insert(bt);
      const ids = async (query: BacktestQuery) => (await backtests().list(query)).map((r) => r.id);
      const unfinished = ['queued', 'running'] as const;
      expect(await ids({ statuses: unfinished, owner: 'orch-a:8000' })).toEqual([legacy.id, mine.id]);
      expect(await ids({ statuses: unfinished, owner: 'orch-a:8000', limit: 1, offset: 1 })).toEqual([
        mine.id,
      ]);
      expect(await ids({ statuses: unfinished, owner: 'orch-b:8000' })).toEqual([legacy.id, peers.id]);
      expect(await ids({ statuses: unfinished, owner: 'orch-c:8000' })).toEqual([legacy.id]);
      expect(await ids({ owner: 'orch-a:8000' })).toEqual([mineDone.id, legacy.id, mine.id]);
      expect(await ids({ statuses: unfinished })).toEqual([lookalike.id, legacy.id, peers.id, mine.id]);
      // The owner is kept through updates.
      await backtests().update(mine.id, { status: 'running', startedAt: 1001 });
      await backtests().update(mine.id, { status: 'queued', startedAt: null });
      expect((await backtests().get(mine.id))?.owner).toBe('orch-a:8000');
    });
  });
}
