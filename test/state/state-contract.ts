import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.ts';
import type { JoinPolicy, SharedState } from '../../src/state/index.ts';
import { joinClaimProperty } from './join-claim-property.ts';

/** What a contract run needs from an implementation: a fresh state, its clock if fake, and a tidy-up. */
export interface StateFixture {
  state: SharedState;
  /** Given: time-dependent tests advance it. Absent (a real server): they wait for real, ≤ 300 ms. */
  clock: ManualClock | undefined;
  cleanup?: () => Promise<void>;
}

/** A TTL short enough to wait out for real, long enough to outlast a few round trips. */
const TTL = 100;

/** The `code` of what `promise` rejects with, or 'none'. */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'none';
  } catch (err) {
    return (err as { code?: string }).code ?? 'no code';
  }
}

/**
 * The one suite every {@link SharedState} implementation must pass.
 * @remarks Every key carries a fresh prefix, so runs against a shared server never meet.
 */
export function stateContract(name: string, make: () => Promise<StateFixture>): void {
  describe(`SharedState contract: ${name}`, () => {
    let fx: StateFixture;
    let state: SharedState;
    let p: string;

    beforeEach(async () => {
      fx = await make();
      state = fx.state;
      p = `t${randomUUID().replaceAll('-', '')}:`;
    });

    afterEach(async () => {
      await state.close();
      await fx.cleanup?.();
    });

    /** Lets `ms` pass: on the fake clock when there is one, else for real. */
    async function elapse(ms: number): Promise<void> {
      if (fx.clock !== undefined) await fx.clock.advance(ms);
      else await new Promise((resolve) => setTimeout(resolve, ms));
    }

    const pair: JoinPolicy = { required: ['momentum', 'risk'], minAgents: 2, ttlMs: 60_000 };

    describe('correlation joins', () => {
      it('stores a first signal and reports the correlation as collecting', async () => {
        const result = await state.joinSignal(`${p}c`, 'momentum', { score: 0.7 }, pair);
        expect(result).toEqual({ outcome: 'stored', agents: ['momentum'], complete: false, claimed: false });
        const snap = await state.getCorrelation(`${p}c`);
        expect(snap?.status).toBe('collecting');
        expect(snap?.signals).toEqual({ momentum: { score: 0.7 } });
        expect(snap?.decidedAt).toBeUndefined();
        expect(snap?.late).toEqual([]);
        expect(snap?.firstAt).toBe(snap?.lastAt);
      });

      it('treats a second signal from the same agent as a duplicate that changes nothing', async () => {
        await state.joinSignal(`${p}c`, 'momentum', { score: 1 }, pair);
        const again = await state.joinSignal(`${p}c`, 'momentum', { score: 2 }, pair);
        expect(again).toEqual({
          outcome: 'duplicate',
          agents: ['momentum'],
          complete: false,
          claimed: false,
        });
        expect((await state.getCorrelation(`${p}c`))?.signals).toEqual({ momentum: { score: 1 } });
      });

      it('claims the decision for the join that completes the correlation, once', async () => {
        await state.joinSignal(`${p}c`, 'momentum', { s: 1 }, pair);
        const last = await state.joinSignal(`${p}c`, 'risk', { s: 2 }, pair);
        expect(last).toEqual({
          outcome: 'stored',
          agents: ['momentum', 'risk'],
          complete: true,
          claimed: true,
          signals: { momentum: { s: 1 }, risk: { s: 2 } },
          firstAt: last.firstAt,
        });
        expect(last.firstAt).toEqual(expect.any(Number));
        expect(Object.keys(last.signals ?? {})).toEqual(['momentum', 'risk']); // arrival order
        const snap = await state.getCorrelation(`${p}c`);
        expect(last.firstAt).toBe(snap?.firstAt);
        expect(snap?.status).toBe('decided');
        expect(snap?.decidedReason).toBe('complete');
        expect(snap?.decidedAt).toEqual(expect.any(Number));
        expect(await state.claimDecision(`${p}c`, 'deadline')).toEqual({ claimed: false });
      });

      it('waits for every required agent even when minAgents is met', async () => {
        await state.joinSignal(`${p}c`, 'momentum', 1, pair);
        const other = await state.joinSignal(`${p}c`, 'cost', 2, pair);
        expect(other.complete).toBe(false);
        expect(other.claimed).toBe(false);
        expect((await state.joinSignal(`${p}c`, 'risk', 3, pair)).claimed).toBe(true);
      });

      it('completes on minAgents alone when nothing is required', async () => {
        const any3: JoinPolicy = { required: [], minAgents: 3, ttlMs: 60_000 };
        const results = await Promise.all(
          ['a', 'b', 'c', 'd', 'e', 'f'].map((agent) => state.joinSignal(`${p}c`, agent, agent, any3)),
        );
        expect(results.filter((r) => r.claimed)).toHaveLength(1);
        expect(results.filter((r) => r.outcome === 'stored')).toHaveLength(3);
        expect(results.filter((r) => r.outcome === 'late')).toHaveLength(3);
      });

      it('records a signal after the decision as late and changes nothing else', async () => {
        await state.joinSignal(`${p}c`, 'momentum', 1, pair);
        await state.joinSignal(`${p}c`, 'risk', 2, pair);
        const late = await state.joinSignal(`${p}c`, 'correlation', 3, pair);
        expect(late).toEqual({
          outcome: 'late',
          agents: ['momentum', 'risk'],
          complete: true,
          claimed: false,
        });
        expect((await state.joinSignal(`${p}c`, 'momentum', 9, pair)).outcome).toBe('late');
        await state.joinSignal(`${p}c`, 'correlation', 4, pair);
        const snap = await state.getCorrelation(`${p}c`);
        expect(snap?.signals).toEqual({ momentum: 1, risk: 2 });
        expect(snap?.late).toEqual(['correlation', 'momentum']);
      });

      it('hands the decision to exactly one of 50 concurrent claimers', async () => {
        await state.joinSignal(`${p}c`, 'momentum', { s: 1 }, pair);
        const claims = await Promise.all(
          Array.from({ length: 50 }, () => state.claimDecision(`${p}c`, 'deadline')),
        );
        const winners = claims.filter((c) => c.claimed);
        expect(winners).toEqual([{ claimed: true, signals: { momentum: { s: 1 } } }]);
      });

      it('claims a partial set on the deadline path, after which joins are late', async () => {
        await state.joinSignal(`${p}c`, 'momentum', 'up', pair);
        expect(await state.claimDecision(`${p}c`, 'deadline')).toEqual({
          claimed: true,
          signals: { momentum: 'up' },
        });
        const risk = await state.joinSignal(`${p}c`, 'risk', 'low', pair);
        expect(risk.outcome).toBe('late');
        expect(risk.claimed).toBe(false);
        const snap = await state.getCorrelation(`${p}c`);
        expect(snap?.decidedReason).toBe('deadline');
        expect(snap?.late).toEqual(['risk']);
      });

      it('claims nothing and shows nothing for an unknown correlation', async () => {
        expect(await state.claimDecision(`${p}none`, 'deadline')).toEqual({ claimed: false });
        expect(await state.getCorrelation(`${p}none`)).toBeUndefined();
      });

      it('keeps stored signals safe from changes to the caller’s objects', async () => {
        const signal = { score: 0.5, tags: ['a'] };
        await state.joinSignal(`${p}c`, 'momentum', signal, pair);
        signal.tags.push('mutated');
        const snap = await state.getCorrelation(`${p}c`);
        (snap?.signals['momentum'] as { tags: string[] }).tags.push('again');
        expect((await state.getCorrelation(`${p}c`))?.signals).toEqual({
          momentum: { score: 0.5, tags: ['a'] },
        });
      });

      it('rejects bad arguments with VALIDATION_FAILED', async () => {
        expect(await codeOf(state.joinSignal('', 'momentum', 1, pair))).toBe('VALIDATION_FAILED');
        expect(await codeOf(state.joinSignal(`${p}c`, '', 1, pair))).toBe('VALIDATION_FAILED');
        expect(await codeOf(state.joinSignal(`${p}c`, 'momentum', undefined, pair))).toBe(
          'VALIDATION_FAILED',
        );
        expect(await codeOf(state.joinSignal(`${p}c`, 'momentum', 1, { ...pair, ttlMs: 0 }))).toBe(
          'VALIDATION_FAILED',
        );
        expect(await state.getCorrelation(`${p}c`)).toBeUndefined();
      });

      it('forgets an undecided correlation ttlMs after its first signal; a new signal starts afresh', async () => {
        const short: JoinPolicy = { ...pair, ttlMs: TTL };
        await state.joinSignal(`${p}c`, 'momentum', 1, short);
        await elapse(TTL / 2);
        await state.joinSignal(`${p}c`, 'cost', 2, short);
        await elapse(TTL);
        expect(await state.getCorrelation(`${p}c`)).toBeUndefined();
        expect(await state.claimDecision(`${p}c`, 'deadline')).toEqual({ claimed: false });
        const fresh = await state.joinSignal(`${p}c`, 'risk', 3, short);
        expect(fresh).toEqual({ outcome: 'stored', agents: ['risk'], complete: false, claimed: false });
      });

      it('remembers a decided correlation after its signals expire, so it is never claimed again', async () => {
        const short: JoinPolicy = { ...pair, ttlMs: TTL };
        await state.joinSignal(`${p}c`, 'momentum', 1, short);
        expect((await state.joinSignal(`${p}c`, 'risk', 2, short)).claimed).toBe(true);
        await elapse(TTL + 50);
        const snap = await state.getCorrelation(`${p}c`);
        expect(snap?.status).toBe('expired');
        expect(snap?.signals).toEqual({});
        const again = await state.joinSignal(`${p}c`, 'momentum', 1, short);
        expect(again).toEqual({ outcome: 'late', agents: [], complete: false, claimed: false });
        await state.joinSignal(`${p}c`, 'risk', 2, short);
        expect(await state.claimDecision(`${p}c`, 'deadline')).toEqual({ claimed: false });
      });
    });

    describe('idempotency keys', () => {
      it('answers true the first time, false within the TTL, true again after it', async () => {
        expect(await state.remember(`${p}k`, TTL)).toBe(true);
        expect(await state.remember(`${p}k`, TTL)).toBe(false);
        expect(await state.remember(`${p}other`, TTL)).toBe(true);
        await elapse(TTL + 50);
        expect(await state.remember(`${p}k`, TTL)).toBe(true);
        expect(await state.remember(`${p}k`, TTL)).toBe(false);
      });

      it('lets exactly one of many concurrent callers through', async () => {
        const answers = await Promise.all(Array.from({ length: 20 }, () => state.remember(`${p}k`, 60_000)));
        expect(answers.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('locks', () => {
      it('is exclusive, releases only for its holder, and hands out increasing tokens', async () => {
        const first = await state.acquireLock(`${p}l`, 60_000);
        expect(first?.token).toEqual(expect.any(Number));
        expect(await state.acquireLock(`${p}l`, 60_000)).toBeUndefined();
        expect(await state.releaseLock(`${p}l`, first!.token + 1)).toBe(false);
        expect(await state.acquireLock(`${p}l`, 60_000)).toBeUndefined();
        expect(await state.releaseLock(`${p}l`, first!.token)).toBe(true);
        expect(await state.releaseLock(`${p}l`, first!.token)).toBe(false);
        const second = await state.acquireLock(`${p}l`, 60_000);
        expect(second!.token).toBeGreaterThan(first!.token);
      });

      it('grants one of many concurrent acquirers', async () => {
        const grants = await Promise.all(
          Array.from({ length: 20 }, () => state.acquireLock(`${p}l`, 60_000)),
        );
        expect(grants.filter((g) => g !== undefined)).toHaveLength(1);
      });

      it('lets another acquire after expiry, with a greater token that fences the stale holder', async () => {
        const stale = await state.acquireLock(`${p}l`, TTL);
        await elapse(TTL + 50);
        const fresh = await state.acquireLock(`${p}l`, 60_000);
        expect(fresh!.token).toBeGreaterThan(stale!.token);
        expect(await state.releaseLock(`${p}l`, stale!.token)).toBe(false);
        expect(await state.extendLock(`${p}l`, stale!.token, 60_000)).toBe(false);
        expect(await state.releaseLock(`${p}l`, fresh!.token)).toBe(true);
      });

      it('extends only for the holder, and an extended lock outlives its first TTL', async () => {
        const grant = await state.acquireLock(`${p}l`, TTL);
        await elapse(50);
        expect(await state.extendLock(`${p}l`, grant!.token + 1, 150)).toBe(false);
        expect(await state.extendLock(`${p}l`, grant!.token, 150)).toBe(true);
        await elapse(100);
        expect(await state.acquireLock(`${p}l`, TTL)).toBeUndefined();
        await elapse(100);
        expect(await state.acquireLock(`${p}l`, TTL)).toBeDefined();
      });
    });

    describe('token buckets', () => {
      const limit = { ratePerMinute: 600, burst: 3 }; // one token per 100 ms

      it('grants the burst, then says how long until the next token, then grants it', async () => {
        for (let i = 0; i < 3; i++) expect(await state.takeTokens(`${p}b`, limit)).toBe(0);
        const wait = await state.takeTokens(`${p}b`, limit);
        expect(wait).toBeGreaterThan(0);
        expect(wait).toBeLessThanOrEqual(100);
        await elapse(wait + 5);
        expect(await state.takeTokens(`${p}b`, limit)).toBe(0);
        expect(await state.takeTokens(`${p}b`, limit)).toBeGreaterThan(0);
      });

      it('charges cost, keeps buckets apart, and refuses a cost above the burst', async () => {
        expect(await state.takeTokens(`${p}b`, limit, 2)).toBe(0);
        expect(await state.takeTokens(`${p}b`, limit, 2)).toBeGreaterThan(0);
        expect(await state.takeTokens(`${p}other`, limit, 3)).toBe(0);
        expect(await codeOf(state.takeTokens(`${p}b`, limit, 4))).toBe('VALIDATION_FAILED');
      });

      it('never grants more than the burst to concurrent takers', async () => {
        const waits = await Promise.all(Array.from({ length: 10 }, () => state.takeTokens(`${p}b`, limit)));
        expect(waits.filter((w) => w === 0)).toHaveLength(3);
      });
    });

    describe('circuit breakers', () => {
      it('compares and sets by version, starting from absent (0)', async () => {
        expect(await state.getBreaker(`${p}br`)).toBeUndefined();
        const open = { state: 'open', consecutiveFailures: 5, openedAt: 1_000 } as const;
        expect(await state.casBreaker(`${p}br`, 1, open)).toBe(false);
        expect(await state.getBreaker(`${p}br`)).toBeUndefined();
        expect(await state.casBreaker(`${p}br`, 0, open)).toBe(true);
        expect(await state.getBreaker(`${p}br`)).toEqual({ ...open, version: 1 });
        expect(await state.casBreaker(`${p}br`, 0, { ...open, consecutiveFailures: 9 })).toBe(false);
        const half = { state: 'half_open', consecutiveFailures: 5, openedAt: 1_000 } as const;
        expect(await state.casBreaker(`${p}br`, 1, half)).toBe(true);
        expect(await state.casBreaker(`${p}br`, 1, open)).toBe(false);
        expect(await state.getBreaker(`${p}br`)).toEqual({ ...half, version: 2 });
        const closed = { state: 'closed', consecutiveFailures: 0, openedAt: undefined } as const;
        expect(await state.casBreaker(`${p}br`, 2, closed)).toBe(true);
        expect(await state.getBreaker(`${p}br`)).toEqual({ ...closed, version: 3 });
      });

      it('lets one of many concurrent writers of the same version win', async () => {
        const next = { state: 'open', consecutiveFailures: 1, openedAt: 5 } as const;
        const wins = await Promise.all(Array.from({ length: 20 }, () => state.casBreaker(`${p}br`, 0, next)));
        expect(wins.filter(Boolean)).toHaveLength(1);
        expect((await state.getBreaker(`${p}br`))?.version).toBe(1);
      });
    });

    describe('lifecycle', () => {
      it('answers ping while open and rejects with SHUTTING_DOWN after close', async () => {
        await expect(state.ping()).resolves.toBeUndefined();
        await state.close();
        await state.close();
        expect(await codeOf(state.ping())).toBe('SHUTTING_DOWN');
        expect(await codeOf(state.remember(`${p}k`, TTL))).toBe('SHUTTING_DOWN');
      });
    });

    joinClaimProperty(
      () => state,
      () => p,
    );
  });
}
