import { afterEach, describe, expect, it, vi } from 'vitest';
import { CONCLAVE_VERSION } from '../../src/server/index.ts';
import { getJson, makeTestServer, postJson, type TestServer } from './helpers.ts';

let t: TestServer;
afterEach(async () => {
  await t.close();
});

describe('GET /health', () => {
  it('is healthy with every agent running and reports the counters', async () => {
    t = await makeTestServer();
    // One call in flight on `holder` (one connection), a second parked behind it.
    await postJson(t.app, '/orchestrate', { pattern: 'hold', payload: {} });
    await postJson(t.app, '/orchestrate', { pattern: 'hold', payload: {} });
    const res = await getJson(t.app, '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'healthy',
      timestamp: '2025-11-03T10:30:00.000Z',
      version: CONCLAVE_VERSION,
      agents_healthy: 4, // three test agents and the built-in delivery agent
      agents_total: 4,
      active_tasks: 1,
      queue_size: 1,
      dependencies: [
        { name: 'bus', driver: 'memory', status: 'up' },
        { name: 'state', driver: 'memory', status: 'up' },
        { name: 'store', driver: expect.any(String) as string, status: 'up' },
      ],
    });
    expect(CONCLAVE_VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('is degraded when an agent is out of service', async () => {
    t = await makeTestServer();
    t.conclave.registry.disable('quant', 'maintenance');
    const res = await getJson(t.app, '/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'degraded', agents_healthy: 3, agents_total: 4 });
  });

  it('is degraded when a circuit is open', async () => {
    t = await makeTestServer({
      config: { dispatcher: { error_recovery: { circuit_breaker_threshold: 1 } } },
    });
    const res = await postJson(t.app, '/orchestrate', { pattern: 'assess_risk', payload: {} });
    await t.conclave.dispatcher.wait(res.body['task_id'] as string);
    t.conclave.registry.enable('risk_agent'); // back to running: only the breaker is left open
    const health = await getJson(t.app, '/health');
    expect(health.body).toMatchObject({ status: 'degraded', agents_healthy: 4 });
  });

  it.each([
    ['reports false', () => Promise.resolve(false)],
    ['throws', () => Promise.reject(new Error('disk I/O error'))],
  ])('is unhealthy with 503 when the store ping %s', async (_name, ping) => {
    t = await makeTestServer();
    vi.spyOn(t.conclave.store, 'ping').mockImplementation(ping);
    const res = await getJson(t.app, '/health');
    expect(res.status).toBe(503);
    expect(res.body['status']).toBe('unhealthy');
    const store = (res.body['dependencies'] as { name: string; status: string; reason?: string }[]).find(
      (d) => d.name === 'store',
    );
    expect(store).toMatchObject({ status: 'down', reason: expect.any(String) as string });
  });

  it('is unhealthy with 503 naming the bus when the bus is down', async () => {
    t = await makeTestServer();
    vi.spyOn(t.conclave, 'dependencies').mockResolvedValue({
      ok: false,
      dependencies: [
        { name: 'bus', driver: 'nats', status: 'down', reason: 'NATS unreachable at nats://127.0.0.1:4222' },
        { name: 'state', driver: 'memory', status: 'up' },
        { name: 'store', driver: 'sqlite', status: 'up' },
      ],
    });
    const res = await getJson(t.app, '/health');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({
      status: 'unhealthy',
      dependencies: [
        { name: 'bus', status: 'down', reason: 'NATS unreachable at nats://127.0.0.1:4222' },
        {},
        {},
      ],
    });
  });
});

describe('GET /agents', () => {
  it('lists every agent with its status and a closed breaker before any call', async () => {
    t = await makeTestServer();
    const res = await getJson(t.app, '/agents');
    expect(res.status).toBe(200);
    expect(res.body['total']).toBe(4);
    expect(res.body['by_status']).toEqual({ running: 4, error: 0, offline: 0, disabled: 0 });
    const agents = res.body['agents'] as Record<string, unknown>[];
    expect(agents.map((a) => a['name'])).toEqual(['conclave-delivery', 'quant', 'risk_agent', 'holder']);
    expect(agents[1]).toMatchObject({
      name: 'quant',
      capabilities: ['momentum.analyze'],
      status: 'running',
      status_reason: null,
      transport: 'inproc',
      registered_at: '2025-11-03T10:30:00.000Z',
      calls: 0,
      breaker: { state: 'closed', consecutive_failures: 0, opened_at: null },
    });
  });

  it('shows a failing agent’s error status and open breaker', async () => {
    t = await makeTestServer({
      config: { dispatcher: { error_recovery: { circuit_breaker_threshold: 1 } } },
    });
    const sub = await postJson(t.app, '/orchestrate', { pattern: 'assess_risk', payload: {} });
    await t.conclave.dispatcher.wait(sub.body['task_id'] as string);
    const res = await getJson(t.app, '/agents');
    const risk = (res.body['agents'] as Record<string, unknown>[]).find((a) => a['name'] === 'risk_agent');
    expect(risk).toMatchObject({
      status: 'error',
      calls: 1,
      failures: 1,
      recent_failures: 1,
      breaker: { state: 'open', consecutive_failures: 1, opened_at: '2025-11-03T10:30:00.000Z' },
    });
    expect(res.body['by_status']).toMatchObject({ running: 3, error: 1 });
  });
});

describe('GET /metrics', () => {
  it('serves the Prometheus exposition with the orchestrator metrics after work has run', async () => {
    t = await makeTestServer();
    const post = await t.app.inject({
      method: 'POST',
      url: '/orchestrate',
      payload: { pattern: 'analyze_momentum', payload: { symbol: 'AAPL' } },
    });
    expect(post.statusCode).toBe(202);
    await t.conclave.dispatcher.wait(post.json<{ task_id: string }>().task_id);
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain(
      'conclave_tasks_finished_total{pattern="analyze_momentum",status="completed"} 1',
    );
    expect(res.body).toContain('# TYPE orchestrator_queue_size gauge');
    expect(res.body).toContain('orchestrator_agent_health{agent="quant"} 1');
  });

  it('counts requests by method, route and status, and times them by route', async () => {
    t = await makeTestServer();
    const orchestrate = (payload: unknown) =>
      t!.app.inject({ method: 'POST', url: '/orchestrate', payload: payload as Record<string, unknown> });
    expect((await orchestrate({ pattern: 'analyze_momentum', payload: {} })).statusCode).toBe(202);
    expect((await orchestrate({ pattern: 'analyze_momentum', payload: {} })).statusCode).toBe(202);
    expect((await orchestrate({ pattern: 'analyze_momentum', payload: 'x' })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'GET', url: '/status/no-such-task' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/no/such/route' })).statusCode).toBe(404);
    const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    const sample = (name: string, labels: string): number | undefined => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    expect(text).toContain('# TYPE orchestrator_requests_total counter');
    expect(text).toContain('# TYPE orchestrator_request_duration_seconds histogram');
    const post = 'method="POST",route="/orchestrate"';
    expect(sample('orchestrator_requests_total', `${post},status_code="202"`)).toBe(2);
    expect(sample('orchestrator_requests_total', `${post},status_code="400"`)).toBe(1);
    expect(
      sample('orchestrator_requests_total', 'method="GET",route="/status/:task_id",status_code="404"'),
    ).toBe(1);
    expect(sample('orchestrator_requests_total', 'method="GET",route="unmatched",status_code="404"')).toBe(1);
    // Buckets are cumulative and end at the count; the sum is a duration in seconds.
    expect(sample('orchestrator_request_duration_seconds_count', post)).toBe(3);
    expect(sample('orchestrator_request_duration_seconds_bucket', `${post},le="+Inf"`)).toBe(3);
    const buckets = text
      .split('\n')
      .filter((l) => l.startsWith(`orchestrator_request_duration_seconds_bucket{${post},le=`))
      .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
    expect(buckets.length).toBeGreaterThan(10);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    const sum = sample('orchestrator_request_duration_seconds_sum', post)!;
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(30);
  });
});
