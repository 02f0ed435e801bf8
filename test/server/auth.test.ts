import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/core/config.ts';
import { ConclaveError } from '../../src/core/errors.ts';
import { bindHost, buildApp, isLoopbackHost, listenApi } from '../../src/server/index.ts';
import { API_KEYS_CONFIG, KEYS, bearer, makeTestServer, type TestServer } from './helpers.ts';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const withKeys = (server: Record<string, unknown> = {}) =>
  makeTestServer({ config: { server: { api_keys: API_KEYS_CONFIG, ...server } } });

const task = { pattern: 'analyze_momentum', payload: { symbol: 'AAPL' } };

describe('authentication', () => {
  it('refuses a request without a key with 401 and a Bearer challenge', async () => {
    t = await withKeys();
    const res = await t.app.inject({ method: 'GET', url: '/agents' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.json()).toEqual({
      detail: expect.stringContaining('an API key is required') as string,
      status_code: 401,
      code: 'UNAUTHORIZED',
    });
  });

  it('refuses an invalid key with 401 without echoing it', async () => {
    t = await withKeys();
    const res = await t.app.inject({
      method: 'GET',
      url: '/agents',
      headers: bearer('wrong-key-0123456789'),
    });
    expect(res.statusCode).toBe(401);
    expect(res.body).not.toContain('wrong-key');
  });

  it('accepts a key as a bearer token or as X-API-Key', async () => {
    t = await withKeys();
    const a = await t.app.inject({ method: 'GET', url: '/agents', headers: bearer(KEYS.read) });
    const b = await t.app.inject({ method: 'GET', url: '/agents', headers: { 'x-api-key': KEYS.read } });
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
  });

  it('answers an unknown route with 401 before 404, so routes cannot be probed', async () => {
    t = await withKeys();
    expect((await t.app.inject({ method: 'GET', url: '/nowhere' })).statusCode).toBe(401);
    const known = await t.app.inject({ method: 'GET', url: '/nowhere', headers: bearer(KEYS.read) });
    expect(known.statusCode).toBe(404);
  });

  it('leaves /health and /metrics open by default', async () => {
    t = await withKeys();
    expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });

  it('closes /health when server.open_endpoints leaves it out', async () => {
    t = await withKeys({ open_endpoints: ['/metrics'] });
    expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });

  it('reads keys from key_env and from CONCLAVE_API_KEYS', async () => {
    t = await makeTestServer({
      config: { server: { api_keys: [{ name: 'env-ops', role: 'admin', key_env: 'OPS_KEY' }] } },
      app: {
        env: { OPS_KEY: 'from-env-0123456789abc', CONCLAVE_API_KEYS: 'ci:operate:ci-key-0123456789abc:60' },
      },
    });
    const ops = await t.app.inject({
      method: 'GET',
      url: '/agents',
      headers: bearer('from-env-0123456789abc'),
    });
    const ci = await t.app.inject({
      method: 'POST',
      url: '/orchestrate',
      headers: bearer('ci-key-0123456789abc'),
      payload: task,
    });
    expect([ops.statusCode, ci.statusCode]).toEqual([200, 202]);
  });

  it('stops start-up naming an unset key_env or a malformed CONCLAVE_API_KEYS entry', async () => {
    t = await makeTestServer();
    const config = loadConfig({
      path: '/dev/null',
      env: {},
      overrides: { server: { api_keys: [{ name: 'x', role: 'read', key_env: 'MISSING_KEY' }] } },
    });
    const conclave = { ...t.conclave, config };
    expect(() => buildApp(conclave, { env: {} })).toThrow(/MISSING_KEY is not set/);
    expect(() => buildApp(t!.conclave, { env: { CONCLAVE_API_KEYS: 'ci:root:0123456789abcdef0' } })).toThrow(
      /CONCLAVE_API_KEYS entry 1/,
    );
  });

  it('reads the compact form from CONCLAVE_SERVER__API_KEYS through the config loader', () => {
    const config = loadConfig({
      path: '/dev/null',
      env: { CONCLAVE_SERVER__API_KEYS: 'ci:operate:0123456789abcdef,ops:admin:fedcba9876543210:120' },
    });
    expect(config.server.api_keys).toEqual([
      { name: 'ci', role: 'operate', key: '0123456789abcdef' },
      { name: 'ops', role: 'admin', key: 'fedcba9876543210', rate_limit_per_minute: 120 },
    ]);
    expect(() =>
      loadConfig({ path: '/dev/null', env: { CONCLAVE_SERVER__API_KEYS: 'ci:operate:short' } }),
    ).toThrow(/server\.api_keys\.0\.key: must be at least 16 characters/);
  });
});

describe('roles', () => {
  it.each([
    ['read', 'POST', '/orchestrate', task, 403],
    ['operate', 'POST', '/orchestrate', task, 202],
    ['read', 'POST', '/signals', { instrument: 'AAPL', source: 'tv', payload: {} }, 403],
    ['operate', 'POST', '/commands/emergency_stop', {}, 403],
    ['operate', 'POST', '/agents/quant/disable', {}, 403],
    ['admin', 'POST', '/agents/quant/disable', {}, 200],
    ['operate', 'DELETE', '/dlq', undefined, 403],
    ['admin', 'DELETE', '/dlq', undefined, 200],
    ['read', 'POST', '/dlq/x/replay', undefined, 403],
    ['operate', 'POST', '/workflows/x/cancel', {}, 200],
    ['read', 'GET', '/decisions', undefined, 200],
  ] as const)('%s key: %s %s %j → %i', async (role, method, url, payload, status) => {
    t = await withKeys();
    const res = await t.app.inject({
      method,
      url,
      headers: bearer(KEYS[role]),
      ...(payload === undefined ? {} : { payload }),
    });
    expect(res.statusCode).toBe(status);
    if (status === 403) {
      expect(res.json()).toMatchObject({ code: 'FORBIDDEN', status_code: 403 });
      expect(res.json<{ detail: string }>().detail).toContain(`has '${role}'`);
    }
  });

  it('lets an admin key run an emergency stop', async () => {
    t = await withKeys();
    const res = await t.app.inject({
      method: 'POST',
      url: '/commands/emergency_stop',
      headers: bearer(KEYS.admin),
      payload: { parameters: { reason: 'test' } },
    });
    expect(res.statusCode).toBe(202);
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After once a key spends its minute, and refills with time', async () => {
    t = await withKeys({ default_rate_limit_per_minute: 2 });
    const get = () => t!.app.inject({ method: 'GET', url: '/agents', headers: bearer(KEYS.read) });
    expect((await get()).statusCode).toBe(200);
    expect((await get()).statusCode).toBe(200);
    const limited = await get();
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('30');
    expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED', status_code: 429 });
    // Another key has its own bucket.
    expect(
      (await t.app.inject({ method: 'GET', url: '/agents', headers: bearer(KEYS.admin) })).statusCode,
    ).toBe(200);
    await t.clock.advance(30_000);
    expect((await get()).statusCode).toBe(200);
  });

  it('uses a key’s own rate_limit_per_minute', async () => {
    t = await makeTestServer({
      config: {
        server: { api_keys: [{ name: 'slow', role: 'read', key: KEYS.read, rate_limit_per_minute: 1 }] },
      },
    });
    const get = () => t!.app.inject({ method: 'GET', url: '/agents', headers: bearer(KEYS.read) });
    expect((await get()).statusCode).toBe(200);
    const limited = await get();
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('60');
  });
});

describe('binding without keys', () => {
  it('treats only loopback hosts as loopback', () => {
    expect(['127.0.0.1', 'localhost', '::1', '127.0.0.2'].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['0.0.0.0', '10.0.0.5', 'example.com', '::'].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it('refuses a non-loopback host without keys, and binds it with keys', () => {
    expect(() => bindHost('0.0.0.0', 0)).toThrow(ConclaveError);
    expect(() => bindHost('0.0.0.0', 0)).toThrow(/server\.host: '0\.0\.0\.0' is not a loopback address/);
    expect(bindHost('localhost', 0)).toBe('127.0.0.1');
    expect(bindHost('0.0.0.0', 1)).toBe('0.0.0.0');
  });

  it('refuses to build an app for a non-loopback host without keys', async () => {
    t = await makeTestServer();
    const config = { ...t.conclave.config, server: { ...t.conclave.config.server, host: '0.0.0.0' } };
    expect(() => buildApp({ ...t!.conclave, config }, { env: {} })).toThrow(/no API key is configured/);
  });

  it('listens on 127.0.0.1 and warns that the API is open', async () => {
    t = await makeTestServer();
    const warn = vi.spyOn(t.conclave.logger, 'warn');
    await listenApi(t.app, t.conclave, { port: 0 });
    expect((t.app.server.address() as AddressInfo).address).toBe('127.0.0.1');
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ event: 'server_open' }),
      expect.stringContaining('listens on 127.0.0.1 only'),
    );
  });
});

describe('OpenAPI security', () => {
  it('declares bearer and X-API-Key schemes, and marks open endpoints as needing none', async () => {
    t = await withKeys();
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json', headers: bearer(KEYS.read) })).json<{
      components: { securitySchemes: Record<string, unknown> };
      security: unknown[];
      paths: Record<string, Record<string, { security?: unknown[]; description?: string }>>;
    }>();
    expect(doc.components.securitySchemes).toMatchObject({
      bearerAuth: { type: 'http', scheme: 'bearer' },
      apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
    });
    expect(doc.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }]);
    expect(doc.paths['/health']!['get']!.security).toEqual([]);
    expect(doc.paths['/shutdown']).toBeUndefined();
    expect(doc.paths['/dlq']!['delete']!.description).toContain('role admin');
  });
});
