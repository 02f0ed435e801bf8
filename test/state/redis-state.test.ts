import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isConclaveError } from '../../src/core/errors.ts';
import { compileRedisStateOptions, RedisState } from '../../src/state/index.ts';
import type { JoinPolicy } from '../../src/state/index.ts';
import { suiteName } from '../support/services.ts';
import { probeRedis, REDIS_URL, redisPrefixes } from './redis-support.ts';
import { stateContract } from './state-contract.ts';

const redis = await probeRedis();
const { freshPrefix, open, admin, countKeys, dropKeys, closeAdmin } = redisPrefixes();

const policy: JoinPolicy = { required: ['momentum', 'risk'], minAgents: 2, ttlMs: 60_000 };

/** What `promise` rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('compileRedisStateOptions', () => {
  it('fills in defaults', () => {
    expect(compileRedisStateOptions()).toEqual({
      url: 'redis://127.0.0.1:6379',
      client: undefined,
      keyPrefix: 'conclave:',
      decidedRetentionMs: 3_600_000,
      connectTimeoutMs: 5_000,
      commandTimeoutMs: 5_000,
    });
  });

  it.each([
    ['url', { url: 'http://127.0.0.1:6379' }],
    ['keyPrefix', { keyPrefix: 'app:{x}:' }],
    ['decidedRetentionMs', { decidedRetentionMs: 0 }],
    ['connectTimeoutMs', { connectTimeoutMs: -1 }],
    ['commandTimeoutMs', { commandTimeoutMs: 1.5 }],
  ])('rejects a bad %s, naming it', (field, options) => {
    expect(() => compileRedisStateOptions(options)).toThrow(expect.objectContaining({ field }));
    expect(() => new RedisState(options)).toThrow(new RegExp(field));
  });
});

describe('RedisState failures', () => {
  it('rejects quickly with STORE_ERROR naming the operation when Redis is unreachable', async () => {
    const state = new RedisState({
      url: 'redis://127.0.0.1:6399',
      connectTimeoutMs: 200,
      commandTimeoutMs: 500,
    });
    const started = Date.now();
    const err = await rejection(state.joinSignal('c', 'momentum', 1, policy));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(isConclaveError(err, 'STORE_ERROR')).toBe(true);
    expect(err).toMatchObject({ retryable: true, details: { operation: 'joinSignal' } });
    expect((err as Error).message).toContain('joinSignal');
    expect(await rejection(state.ping())).toMatchObject({
      code: 'STORE_ERROR',
      details: { operation: 'ping' },
    });
    await state.close();
    expect(await rejection(state.remember('k', 100))).toMatchObject({ code: 'SHUTTING_DOWN' });
  });

  it('times a command out with STORE_ERROR when the server accepts but never answers', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const state = new RedisState({
      url: `redis://127.0.0.1:${port}`,
      connectTimeoutMs: 200,
      commandTimeoutMs: 300,
    });
    try {
      const started = Date.now();
      const err = await rejection(state.acquireLock('l', 1_000));
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(err).toMatchObject({ code: 'STORE_ERROR', details: { operation: 'acquireLock' } });
    } finally {
      await state.close();
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe.skipIf(!redis.available)(suiteName('RedisState', redis), () => {
  stateContract('RedisState', () => Promise.resolve({ state: open(), clock: undefined, cleanup: dropKeys }));

  afterEach(dropKeys);
  afterAll(closeAdmin);

  describe('RedisState specifics', () => {
    it('lays keys out as documented: hash tags, TTLs, and a fence counter that never expires', async () => {
      const prefix = freshPrefix();
      const state = open({ decidedRetentionMs: 30_000 }, prefix);
      try {
        await state.joinSignal('c', 'momentum', { s: 1 }, { ...policy, ttlMs: 10_000 });
        await state.joinSignal('c', 'risk', { s: 2 }, { ...policy, ttlMs: 10_000 });
        await state.remember('k', 10_000);
        await state.acquireLock('l', 10_000);
        await state.takeTokens('b', { ratePerMinute: 60, burst: 2 });
        await state.casBreaker('br', 0, { state: 'open', consecutiveFailures: 1, openedAt: 7 });
        const a = admin();
        const ttl = (key: string): Promise<number> => a.pttl(`${prefix}${key}`);
        expect(await ttl('corr:{c}')).toBeGreaterThan(9_000);
        expect(await ttl('corr:{c}')).toBeLessThanOrEqual(10_000);
        expect(await ttl('corr:{c}:done')).toBeGreaterThan(29_000);
        expect(await a.hget(`${prefix}corr:{c}`, 's:momentum')).toBe('{"s":1}');
        expect(await ttl('idem:{k}')).toBeGreaterThan(9_000);
        expect(await ttl('lock:{l}')).toBeGreaterThan(9_000);
        expect(await ttl('lock:{l}:fence')).toBe(-1);
        // One token of two taken at one per second: full again in a second.
        expect(await ttl('bucket:{b}')).toBeLessThanOrEqual(1_000);
        expect(await ttl('breaker:{br}')).toBe(-1);
        expect(await countKeys(prefix)).toBe(7);
      } finally {
        await state.close();
      }
    });

    it('forgets a decided id after the retention, but never before its signals expire', async () => {
      const state = open({ decidedRetentionMs: 50 });
      try {
        const ttl: JoinPolicy = { ...policy, ttlMs: 300 };
        await state.joinSignal('c', 'momentum', 1, ttl);
        expect((await state.joinSignal('c', 'risk', 2, ttl)).claimed).toBe(true);
        await sleep(150);
        // Retention is over but the signals still live, so the id stays decided.
        expect((await state.getCorrelation('c'))?.status).toBe('decided');
        expect(await state.claimDecision('c', 'deadline')).toEqual({ claimed: false });
        await sleep(250);
        expect(await state.getCorrelation('c')).toBeUndefined();
        expect((await state.joinSignal('c', 'momentum', 1, ttl)).outcome).toBe('stored');
      } finally {
        await state.close();
      }
    });

    it('keeps first and last arrival times on an expired decision', async () => {
      const state = open();
      try {
        const ttl: JoinPolicy = { ...policy, ttlMs: 100 };
        await state.joinSignal('c', 'momentum', 1, ttl);
        await sleep(20);
        await state.joinSignal('c', 'risk', 2, ttl);
        const decided = await state.getCorrelation('c');
        await sleep(150);
        const expired = await state.getCorrelation('c');
        expect(expired).toMatchObject({ status: 'expired', signals: {}, late: [] });
        expect(expired?.firstAt).toBe(decided?.firstAt);
        expect(expired?.lastAt).toBe(decided?.lastAt);
        expect(expired!.lastAt - expired!.firstAt).toBeGreaterThanOrEqual(15);
      } finally {
        await state.close();
      }
    });

    it('reloads its scripts after the server forgets them', async () => {
      const state = open();
      try {
        expect((await state.acquireLock('l', 60_000))?.token).toBe(1);
        await admin().script('FLUSH');
        expect(await state.releaseLock('l', 1)).toBe(true);
        expect((await state.acquireLock('l', 60_000))?.token).toBe(2);
      } finally {
        await state.close();
      }
    });

    it('uses a caller’s client without quitting it on close', async () => {
      const client = new Redis(REDIS_URL);
      try {
        const state = new RedisState({ client, keyPrefix: freshPrefix() });
        expect(await state.remember('k', 60_000)).toBe(true);
        await state.close();
        expect(await rejection(state.remember('k', 60_000))).toMatchObject({ code: 'SHUTTING_DOWN' });
        expect(await client.ping()).toBe('PONG');
      } finally {
        await client.quit();
      }
    });

    it('reports a call cut short by close() as SHUTTING_DOWN', async () => {
      const state = open();
      const pending = state.takeTokens('b', { ratePerMinute: 60, burst: 1 });
      const closing = state.close();
      const outcome = await pending.then(
        (wait) => wait,
        (err: unknown) => (err as { code?: string }).code,
      );
      await closing;
      // Either the command made it out before the quit, or it was refused as shutting down.
      expect([0, 'SHUTTING_DOWN']).toContain(outcome);
    });
  });
});
