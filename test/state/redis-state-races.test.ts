import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/core/random.ts';
import type { JoinPolicy, RedisState } from '../../src/state/index.ts';
import { suiteName } from '../support/services.ts';
import { probeRedis, redisPrefixes } from './redis-support.ts';

const redis = await probeRedis();
const { freshPrefix, open, dropKeys, closeAdmin } = redisPrefixes();

/** Two orchestrators: separate RedisState instances, each with its own connection, one keyspace. */
describe.skipIf(!redis.available)(suiteName('RedisState across two connections', redis), () => {
  let a: RedisState;
  let b: RedisState;

  beforeEach(() => {
    const prefix = freshPrefix();
    a = open({}, prefix);
    b = open({}, prefix);
  });

  afterEach(async () => {
    await a.close();
    await b.close();
    await dropKeys();
  });

  afterAll(closeAdmin);

  it('claims each of 200 correlations exactly once under concurrent joins and claims in random order', async () => {
    const random = new SeededRandom(20240611);
    const policy: JoinPolicy = { required: ['momentum', 'risk'], minAgents: 2, ttlMs: 60_000 };
    const ids = Array.from({ length: 200 }, (_, i) => `c${i}`);
    type Op = { id: string; agent: string } | { id: string; agent: undefined };
    const ops: Op[] = ids.flatMap((id) => [
      { id, agent: 'momentum' },
      { id, agent: 'momentum' },
      { id, agent: 'risk' },
      { id, agent: 'cost' },
      { id, agent: undefined },
      { id, agent: undefined },
    ]);
    for (let i = ops.length - 1; i > 0; i--) {
      const j = random.int(0, i);
      [ops[i], ops[j]] = [ops[j]!, ops[i]!];
    }
    const claims = new Map<string, ('complete' | 'deadline')[]>();
    const won = (id: string, reason: 'complete' | 'deadline'): void => {
      claims.set(id, [...(claims.get(id) ?? []), reason]);
    };
    await Promise.all(
      ops.map(async (op) => {
        const state = random.next() < 0.5 ? a : b;
        if (op.agent === undefined) {
          if ((await state.claimDecision(op.id, 'deadline')).claimed) won(op.id, 'deadline');
        } else if ((await state.joinSignal(op.id, op.agent, { from: op.agent }, policy)).claimed) {
          won(op.id, 'complete');
        }
      }),
    );
    for (const id of ids) {
      expect(claims.get(id), id).toHaveLength(1);
      const snap = await a.getCorrelation(id);
      expect(snap?.status).toBe('decided');
      expect(snap?.decidedReason).toBe(claims.get(id)![0]);
    }
  });

  it('hands out strictly increasing fencing tokens across both clients', async () => {
    const tokens: number[] = [];
    const worker = async (state: RedisState): Promise<void> => {
      while (tokens.length < 60) {
        const grant = await state.acquireLock('l', 60_000);
        if (grant === undefined) continue;
        // Recorded while held, so the list is in acquisition order.
        tokens.push(grant.token);
        expect(await state.releaseLock('l', grant.token)).toBe(true);
      }
    };
    await Promise.all([worker(a), worker(b), worker(a), worker(b)]);
    expect(tokens.length).toBeGreaterThanOrEqual(60);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1]!);

    // A holder that lets its lock lapse is fenced off by the other client's greater token.
    const stale = await a.acquireLock('x', 50);
    await new Promise((resolve) => setTimeout(resolve, 80));
    const fresh = await b.acquireLock('x', 60_000);
    expect(fresh!.token).toBeGreaterThan(stale!.token);
    expect(await a.releaseLock('x', stale!.token)).toBe(false);
    expect(await a.extendLock('x', stale!.token, 60_000)).toBe(false);
    expect(await a.releaseLock('x', fresh!.token)).toBe(true);
  });

  it('never grants more than burst + rate × elapsed from a bucket both clients share', async () => {
    const limit = { ratePerMinute: 6_000, burst: 5 }; // 100 tokens a second
    let granted = 0;
    const started = performance.now();
    const until = started + 600;
    const worker = async (state: RedisState): Promise<void> => {
      while (performance.now() < until) if ((await state.takeTokens('b', limit)) === 0) granted++;
    };
    await Promise.all([a, b, a, b, a, b].map(worker));
    const elapsedMs = performance.now() - started;
    const ceiling = limit.burst + (limit.ratePerMinute * elapsedMs) / 60_000;
    expect(granted).toBeLessThanOrEqual(Math.floor(ceiling + 1e-6));
    // Hammered this hard, the bucket should hand out most of what it may.
    expect(granted).toBeGreaterThanOrEqual(limit.burst + (limit.ratePerMinute * 600) / 60_000 / 2);
  });

  it('lets exactly one of two concurrent breaker writers with the same version win', async () => {
    for (let round = 0; round < 50; round++) {
      const version = (await a.getBreaker('br'))?.version ?? 0;
      const fromA = { state: 'open', consecutiveFailures: round, openedAt: round } as const;
      const fromB = { state: 'half_open', consecutiveFailures: round, openedAt: undefined } as const;
      const [wonA, wonB] = await Promise.all([
        a.casBreaker('br', version, fromA),
        b.casBreaker('br', version, fromB),
      ]);
      expect(Number(wonA) + Number(wonB)).toBe(1);
      expect(await b.getBreaker('br')).toEqual({ ...(wonA ? fromA : fromB), version: version + 1 });
    }
  });
});
