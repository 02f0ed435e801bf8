import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisState } from '../../src/state/index.ts';
import type { RedisStateOptions } from '../../src/state/index.ts';
import { requireService } from '../support/services.ts';

/** The test server, overridable with CONCLAVE_TEST_REDIS_URL. */
export const REDIS_URL = process.env['CONCLAVE_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Whether the test Redis answers (skip with the reason when not; required under CI=true). */
export function probeRedis(): ReturnType<typeof requireService> {
  return requireService(`Redis at ${REDIS_URL}`, async () => {
    const probe = new RedisState({ url: REDIS_URL, connectTimeoutMs: 1_000, commandTimeoutMs: 1_000 });
    try {
      await probe.ping();
    } finally {
      await probe.close();
    }
  });
}

/**
 * Key prefixes of their own for each state a test opens, so parallel test files never meet;
 * `dropKeys` deletes every key under every prefix this set handed out.
 */
export function redisPrefixes(): {
  freshPrefix: () => string;
  open: (options?: Omit<RedisStateOptions, 'url' | 'keyPrefix'>, prefix?: string) => RedisState;
  countKeys: (prefix: string) => Promise<number>;
  dropKeys: () => Promise<void>;
  admin: () => Redis;
  closeAdmin: () => Promise<void>;
} {
  const prefixes = new Set<string>();
  let adminClient: Redis | undefined;
  const admin = (): Redis => (adminClient ??= new Redis(REDIS_URL, { lazyConnect: true }));
  const freshPrefix = (): string => {
    const prefix = `conclave-test:${randomUUID()}:`;
    prefixes.add(prefix);
    return prefix;
  };
  const keysOf = async (prefix: string): Promise<string[]> => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await admin().scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    return found;
  };
  return {
    freshPrefix,
    admin,
    open: (options = {}, prefix = freshPrefix()) =>
      new RedisState({ ...options, url: REDIS_URL, keyPrefix: prefix }),
    countKeys: async (prefix) => (await keysOf(prefix)).length,
    dropKeys: async () => {
      for (const prefix of [...prefixes]) {
        const keys = await keysOf(prefix);
        if (keys.length > 0) await admin().del(...keys);
        prefixes.delete(prefix);
      }
    },
    closeAdmin: async () => {
      if (adminClient !== undefined) await adminClient.quit();
      adminClient = undefined;
    },
  };
}
