import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.ts';
import { isConclaveError } from '../../src/core/errors.ts';
import { busStreams, storeStatus } from '../../src/wiring/distributed.ts';

/** The bus and state sections of config: defaults, env shorthands, and errors that name the key. */
function configError(raw: Record<string, unknown>, env: Record<string, string> = {}): string {
  try {
    loadConfig({ path: '/dev/null', env, overrides: raw });
  } catch (err) {
    if (isConclaveError(err)) return err.message;
    throw err;
  }
  throw new Error('expected a CONFIG_INVALID error');
}

describe('bus and state config', () => {
  it('defaults to the embedded shape, with complete distributed settings ready', () => {
    const c = loadConfig({ path: '/dev/null', env: {} });
    expect(c.bus.driver).toBe('memory');
    expect(c.bus.nats.servers).toEqual(['nats://127.0.0.1:4222']);
    expect(c.state.driver).toBe('memory');
    expect(c.state.redis).toMatchObject({
      url: 'redis://127.0.0.1:6379',
      key_prefix: 'conclave:',
      fallback: 'memory',
    });
  });

  it('reads the distributed shape from the environment', () => {
    const c = loadConfig({
      path: '/dev/null',
      env: {
        CONCLAVE_BUS: 'nats',
        CONCLAVE_NATS_URL: 'nats://a:4222, nats://b:4222',
        CONCLAVE_STATE: 'redis',
        CONCLAVE_REDIS_URL: 'redis://cache:6379',
      },
    });
    expect(c.bus.driver).toBe('nats');
    expect(c.bus.nats.servers).toEqual(['nats://a:4222', 'nats://b:4222']);
    expect(c.state).toMatchObject({ driver: 'redis', redis: { url: 'redis://cache:6379' } });
  });

  it('fills the five document streams and applies limits from config', () => {
    const c = loadConfig({
      path: '/dev/null',
      env: {},
      overrides: {
        bus: {
          nats: {
            streams: { signals: { max_msgs: 1000, max_age_seconds: 60 }, market: { subjects: ['market.>'] } },
          },
        },
      },
    });
    const streams = busStreams(c.bus.nats.streams);
    expect([...streams.keys()]).toEqual(['signals', 'decisions', 'execution', 'audit', 'tasks', 'market']);
    expect(streams.get('signals')).toEqual({
      name: 'SIGNALS_ENRICHED',
      subjects: ['signals.enriched.>'],
      maxMsgs: 1000,
      maxAgeMs: 60_000,
    });
    expect(streams.get('market')).toEqual({ name: 'MARKET', subjects: ['market.>'] });
    expect(streams.get('audit')?.subjects).toEqual(['audit.>']);
  });

  it('names the key and what is accepted when a bus or state value is wrong', () => {
    expect(configError({ bus: { driver: 'kafka' } })).toMatch(/bus\.driver.*memory.*nats/s);
    expect(configError({ bus: { nats: { servers: ['http://x'] } } })).toContain('bus.nats.servers');
    expect(configError({ bus: { nats: { publish_timeout_ms: -1 } } })).toContain(
      'bus.nats.publish_timeout_ms',
    );
    expect(configError({ bus: { nats: { streams: { signals: { max_msgs: 'many' } } } } })).toContain(
      'bus.nats.streams.signals.max_msgs',
    );
    expect(configError({ bus: { nats: { streams: { market: { max_msgs: 5 } } } } })).toMatch(
      /bus\.nats\.streams\.market\.subjects.*needs subjects/s,
    );
    expect(configError({ bus: { nats: { stream: {} } } })).toContain("'stream'");
    expect(configError({ state: { driver: 'etcd' } })).toMatch(/state\.driver.*memory.*redis/s);
    expect(configError({ state: { redis: { url: 'http://cache' } } })).toContain('state.redis.url');
    expect(configError({ state: { redis: { key_prefix: 'a{b}' } } })).toContain('state.redis.key_prefix');
    expect(configError({ state: { redis: { fallback: 'ignore' } } })).toMatch(
      /state\.redis\.fallback.*memory.*refuse/s,
    );
    expect(configError({}, { CONCLAVE_NATS_URL: 'localhost:4222' })).toContain('bus.nats.servers');
  });
});

describe('storeStatus', () => {
  it('is up when the store answers its ping, and down with the reason otherwise', async () => {
    expect(await storeStatus({ ping: () => Promise.resolve(true) }, 'postgres')).toEqual({
      name: 'store',
      driver: 'postgres',
      status: 'up',
    });
    expect(
      await storeStatus({ ping: () => Promise.reject(new Error('ECONNREFUSED')) }, 'postgres'),
    ).toMatchObject({
      status: 'down',
      reason: 'store unreachable: ECONNREFUSED',
    });
    const hung = await storeStatus({ ping: () => new Promise<boolean>(() => undefined) }, 'postgres', 20);
    expect(hung).toMatchObject({ status: 'down', reason: 'store unreachable: no answer within 20 ms' });
  });
});
