import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/core/config.ts';
import {
  bindHost,
  buildApp,
  isLoopbackHost,
  listenApi,
  type BuildAppOptions,
} from '../../src/server/index.ts';
import { API_KEYS_CONFIG, KEYS, bearer, captureLogs, makeTestServer, type TestServer } from './helpers.ts';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const withKeys = (server: Record<string, unknown> = {}, app: BuildAppOptions = {}) =>
  makeTestServer({ config: { server: { api_keys: API_KEYS_CONFIG, ...server } }, app });

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
    // Both are counted, the refused probe included (authentication answered it, not the 404 handler).
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(
      'orchestrator_requests_total{method="GET",route="unmatched",status_code="401"} 1',
    );
    expect(metrics).toContain(
      'orchestrator_requests_total{method="GET",route="unmatched",status_code="404"} 1',
    );
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
    ['read', 'POST', '/agents/quant/disable', {}, 403],
    ['operate', 'POST', '/agents/quant/disable', {}, 403],
    ['admin', 'POST', '/agents/quant/disable', {}, 200],
    ['operate', 'POST', '/agents/quant/enable', {}, 403],
    ['admin', 'POST', '/agents/quant/enable', {}, 200],
    ['read', 'POST', '/shutdown', {}, 403],
    ['operate', 'POST', '/shutdown', {}, 403],
    ['admin', 'POST', '/shutdown', {}, 202],
    ['operate', 'DELETE', '/dlq', undefined, 403],
    ['admin', 'DELETE', '/dlq', undefined, 200],
    ['read', 'POST', '/dlq/x/replay', undefined, 403],
    ['operate', 'POST', '/workflows/x/cancel', {}, 200],
    ['read', 'GET', '/decisions', undefined, 200],
  ] as const)('%s key: %s %s %j → %i', async (role, method, url, payload, status) => {
    const shutdowns: string[] = [];
    t = await withKeys({}, { onShutdown: () => void shutdowns.push(role) });
    // An agent to enable is out of service first.
    if (url.endsWith('/enable')) t.conclave.registry.disable('quant', 'maintenance');
    const before = t.conclave.registry.get('quant')?.status;
    const res = await t.app.inject({
      method,
      url,
      headers: bearer(KEYS[role]),
      ...(payload === undefined ? {} : { payload }),
    });
    expect(res.statusCode).toBe(status);
    const after = t.conclave.registry.get('quant')?.status;
    if (status === 403) {
      expect(res.json()).toMatchObject({ code: 'FORBIDDEN', status_code: 403 });
      expect(res.json<{ detail: string }>().detail).toContain(`has '${role}'`);
      // Refused means nothing happened.
      expect(after).toBe(before);
      await new Promise((r) => setTimeout(r, 5));
      expect(shutdowns).toEqual([]);
    }
    if (status !== 403 && url.endsWith('/enable')) expect(after).toBe('running');
    if (status !== 403 && url.endsWith('/disable')) expect(after).toBe('disabled');
    if (status !== 403 && url === '/shutdown') {
      expect(res.json()).toEqual({ status: 'shutting_down', requested_by: 'ops' });
      await vi.waitFor(() => expect(shutdowns).toEqual(['admin']));
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

describe('keys in logs', () => {
  it('never writes a presented key to the log, on a 200, 202, 401, 403 or 500', async () => {
    const logs = captureLogs('trace');
    t = await makeTestServer({
      config: { server: { api_keys: API_KEYS_CONFIG } },
      logger: logs.logger,
      app: { logger: true },
    });
    // A decision audited without the fields GET /decisions shows: with responses checked, a 500.
    await t.conclave.store.audit.append({
      id: 'audit_bad',
      at: t.clock.now(),
      kind: 'decision',
      corrId: 'c-bad',
      actor: null,
      data: { decision: { corr_id: 'c-bad' } },
    });
    const wrong = 'wrong-key-0123456789abcdef';
    const send = async (method: 'GET' | 'POST', url: string, headers: Record<string, string>) =>
      (
        await t!.app.inject({
          method,
          url,
          headers,
          ...(method === 'POST' ? { payload: task } : {}),
        })
      ).statusCode;
    expect([
      await send('GET', '/agents', bearer(KEYS.read)),
      await send('POST', '/orchestrate', { 'x-api-key': KEYS.operate }),
      await send('GET', '/agents', bearer(wrong)),
      await send('GET', '/agents', { 'x-api-key': wrong }),
      await send('POST', '/orchestrate', bearer(KEYS.read)),
      await send('GET', '/decisions', bearer(KEYS.admin)),
    ]).toEqual([200, 202, 401, 401, 403, 500]);
    // The 500 was logged (so the sink saw the requests' lines), naming its route, not the key.
    expect(logs.lines.find((l) => l['event'] === 'request_failed')).toMatchObject({
      level: 'error',
      method: 'GET',
      route: '/decisions',
    });
    const output = logs.raw.join('');
    for (const key of [...Object.values(KEYS), wrong]) expect(output).not.toContain(key);
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

  it('binds 127.0.0.1 for any host without keys, and the configured host with keys', () => {
    expect(['0.0.0.0', '10.0.0.5', 'localhost', '::1'].map((h) => bindHost(h, 0))).toEqual([
      '127.0.0.1',
      '127.0.0.1',
      '127.0.0.1',
      '127.0.0.1',
    ]);
    expect(bindHost('0.0.0.0', 1)).toBe('0.0.0.0');
  });

  it('listens on 127.0.0.1 for a non-loopback host without keys, saying which host and how to add keys', async () => {
    const logs = captureLogs();
    t = await makeTestServer({
      config: { server: { host: '0.0.0.0' } },
      logger: logs.logger,
      app: { logger: true },
    });
    await listenApi(t.app, t.conclave, { port: 0 });
    expect((t.app.server.address() as AddressInfo).address).toBe('127.0.0.1');
    const open = logs.lines.find((l) => l['event'] === 'server_open');
    expect(open).toMatchObject({ level: 'warn', configured_host: '0.0.0.0' });
    expect(open?.['address']).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(open?.['message']).toMatch(/server\.host is '0\.0\.0\.0', but no API keys are configured/);
    expect(open?.['message']).toContain('listens on 127.0.0.1 only');
    expect(open?.['message']).toContain('server.api_keys');
    expect(open?.['message']).toContain('CONCLAVE_API_KEYS');
    // Fastify's own "Server listening at …" line carries an event too, like every line.
    expect(logs.lines.some((l) => String(l['message']).startsWith('Server listening at'))).toBe(true);
    expect(logs.lines.filter((l) => typeof l['event'] !== 'string')).toEqual([]);
    expect(logs.lines.find((l) => String(l['message']).startsWith('Server listening at'))).toMatchObject({
      event: 'http_server',
    });
  });

  it('listens on the configured host when keys are configured', async () => {
    const logs = captureLogs();
    t = await makeTestServer({
      config: { server: { host: '127.0.0.2', api_keys: API_KEYS_CONFIG } },
      logger: logs.logger,
      app: { logger: true },
    });
    await listenApi(t.app, t.conclave, { port: 0 });
    expect((t.app.server.address() as AddressInfo).address).toBe('127.0.0.2');
    expect(logs.lines.find((l) => l['event'] === 'server_listening')).toMatchObject({
      level: 'info',
      api_keys: 3,
    });
    expect(logs.lines.some((l) => l['event'] === 'server_open')).toBe(false);
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
