import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConclaveError, type ErrorCode } from '../../src/core/errors.ts';
import { INTERNAL_DETAIL } from '../../src/server/error-reply.ts';
import { getJson, makeTestServer, postJson, type TestServer } from './helpers.ts';

let t: TestServer;
beforeEach(async () => {
  t = await makeTestServer();
});
afterEach(async () => {
  await t.close();
});

const valid = { pattern: 'analyze_momentum', payload: {} };

describe('error replies', () => {
  it('answers an unknown route with 404 in the error shape', async () => {
    const res = await getJson(t.app, '/nowhere?x=1');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: 'no route GET /nowhere', status_code: 404, code: 'NOT_FOUND' });
  });

  it.each<[ErrorCode, number]>([
    ['QUEUE_FULL', 503],
    ['AGENT_UNAVAILABLE', 503],
    ['RATE_LIMITED', 429],
    ['SHUTTING_DOWN', 503],
    ['PAYLOAD_TOO_LARGE', 413],
  ])('maps a %s raised by the dispatcher to %i with its message', async (code, status) => {
    vi.spyOn(t.conclave.dispatcher, 'submit').mockRejectedValue(new ConclaveError(code, `nope: ${code}`));
    const res = await postJson(t.app, '/orchestrate', valid);
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ detail: `nope: ${code}`, status_code: status, code });
  });

  it('answers an unknown failure with a generic 500 that leaks nothing', async () => {
    const secret = new TypeError('cannot read /var/lib/secret.db');
    vi.spyOn(t.conclave.dispatcher, 'get').mockRejectedValue(secret);
    const res = await t.app.inject({ method: 'GET', url: '/status/x' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ detail: INTERNAL_DETAIL, status_code: 500, code: 'INTERNAL' });
    expect(res.body).not.toContain('secret');
    expect(res.body).not.toContain('at ');
  });

  it('refuses a non-JSON content type in the error shape', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/orchestrate',
      headers: { 'content-type': 'text/plain' },
      payload: 'pattern=x',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', status_code: 400 });
  });

  it('names a bad path parameter', async () => {
    const res = await getJson(t.app, `/status/${'x'.repeat(201)}`);
    expect(res.status).toBe(400);
    expect(res.body['detail']).toMatch(/^params\.task_id: must be at most 200 characters/);
  });

  it('answers a path parameter too long for the router in the error shape', async () => {
    const res = await getJson(t.app, `/status/${'x'.repeat(300)}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', status_code: 400 });
    expect(res.body['detail']).toMatch(/max param length/);
  });
});

describe('GET /docs/json', () => {
  it('serves an OpenAPI document listing every route', async () => {
    const res = await getJson(t.app, '/docs/json');
    expect(res.status).toBe(200);
    expect(res.body['openapi']).toBe('3.1.0');
    const paths = res.body['paths'] as Record<string, Record<string, unknown>>;
    const listed = Object.entries(paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m} ${path}`),
    );
    expect(listed.sort()).toEqual(
      [
        'delete /dlq',
        'delete /dlq/{id}',
        'get /agents',
        'get /dlq',
        'get /dlq/{id}',
        'get /health',
        'get /metrics',
        'post /commands/{type}',
        'get /workflows',
        'get /workflows/{id}',
        'post /workflows/{id}/cancel',
        'get /audit/{corr_id}',
        'get /status/{task_id}',
        'post /aggregate',
        'post /dlq/{id}/replay',
        'post /orchestrate',
        'get /decisions',
        'get /events',
        'get /status',
        'post /agents/{name}/disable',
        'post /agents/{name}/enable',
        'post /signals',
        'get /strategies',
        'post /strategies',
        'get /strategies/{id}',
        'delete /strategies/{id}',
        'post /backtest',
        'get /backtest/{id}',
      ].sort(),
    );
  });

  it('documents the orchestrate body with its limits', async () => {
    const res = await getJson(t.app, '/docs/json');
    const op = (res.body['paths'] as Record<string, Record<string, Record<string, unknown>>>)[
      '/orchestrate'
    ]!['post']!;
    const body = op['requestBody'] as { content: Record<string, { schema: Record<string, unknown> }> };
    const schema = body.content['application/json']!.schema;
    expect(schema['required']).toEqual(['pattern', 'payload']);
    expect((schema['properties'] as Record<string, unknown>)['priority']).toMatchObject({
      minimum: 1,
      maximum: 5,
    });
    expect(Object.keys(op['responses'] as object)).toEqual(
      expect.arrayContaining(['202', '400', '404', '413', '503']),
    );
  });
});
