import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestServer, postJson, type TestServer } from './helpers.ts';

let t: TestServer;
beforeEach(async () => {
  t = await makeTestServer();
});
afterEach(async () => {
  await t.close();
});

const valid = { pattern: 'analyze_momentum', payload: { symbol: 'AAPL' } };

describe('POST /orchestrate', () => {
  it('accepts a task with 202 and the document’s shape', async () => {
    const res = await postJson(t.app, '/orchestrate', valid);
    expect(res.status).toBe(202);
    expect(res.body['task_id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body).toEqual({
      task_id: res.body['task_id'],
      status: 'queued',
      agent: 'momentum.analyze',
      created_at: '2025-11-03T10:30:00.000Z',
      updated_at: '2025-11-03T10:30:00.000Z',
    });
    const done = await t.conclave.dispatcher.wait(res.body['task_id'] as string);
    expect(done.status).toBe('completed');
    expect(done.result).toEqual({ signal: 'buy', symbol: 'AAPL' });
  });

  it('names the agent rule target for agent routes', async () => {
    const res = await postJson(t.app, '/orchestrate', { pattern: 'assess_risk', payload: {} });
    expect(res.status).toBe(202);
    expect(res.body['agent']).toBe('risk_agent');
  });

  it('passes every optional field on, converting units', async () => {
    const res = await postJson(t.app, '/orchestrate', {
      ...valid,
      priority: 5,
      metadata: { source: 'web_app' },
      timeout: 2.5,
      callback_url: 'https://api.example.com/callback',
      corr_id: 'corr-42',
      max_retries: 7,
    });
    expect(res.status).toBe(202);
    const rec = await t.conclave.dispatcher.get(res.body['task_id'] as string);
    expect(rec).toMatchObject({
      priority: 5,
      metadata: { source: 'web_app' },
      timeoutMs: 2500,
      callbackUrl: 'https://api.example.com/callback',
      corrId: 'corr-42',
      maxRetries: 7,
    });
  });

  it.each([0, 10, 2.5, '3'])(
    'refuses priority %j with 400 naming the field and the range',
    async (priority) => {
      const res = await postJson(t.app, '/orchestrate', { ...valid, priority });
      expect(res.status).toBe(400);
      expect(res.body['code']).toBe('VALIDATION_FAILED');
      expect(res.body['status_code']).toBe(400);
      expect(res.body['detail']).toBe(
        `priority: must be an integer from 1 (least urgent) to 5 (most urgent) (got ${JSON.stringify(priority)})`,
      );
    },
  );

  it.each([[['AAPL']], ['AAPL'], [null], [42]])(
    'refuses payload %j that is not an object',
    async (payload) => {
      const res = await postJson(t.app, '/orchestrate', { pattern: 'analyze_momentum', payload });
      expect(res.status).toBe(400);
      expect(res.body['detail']).toMatch(/^payload: must be a JSON object \(\{…\}\) \(got /);
    },
  );

  it.each([0, -5])('refuses timeout %j (seconds must be > 0)', async (timeout) => {
    const res = await postJson(t.app, '/orchestrate', { ...valid, timeout });
    expect(res.status).toBe(400);
    expect(res.body['detail']).toBe(
      `timeout: must be a number of seconds > 0 and at most 86400 (got ${timeout})`,
    );
  });

  it('says which fields are missing', async () => {
    const res = await postJson(t.app, '/orchestrate', {});
    expect(res.status).toBe(400);
    expect(res.body['detail']).toContain('pattern: is required');
    expect(res.body['detail']).toContain('payload: is required');
  });

  it('names unknown fields and lists the allowed ones', async () => {
    const res = await postJson(t.app, '/orchestrate', { ...valid, prioirty: 3 });
    expect(res.status).toBe(400);
    expect(res.body['detail']).toBe(
      'unknown field(s): prioirty; allowed: pattern, payload, priority, metadata, timeout, callback_url, corr_id, max_retries',
    );
  });

  it('reports every bad field at once', async () => {
    const res = await postJson(t.app, '/orchestrate', { ...valid, priority: 0, callback_url: 'ftp://x' });
    expect(res.status).toBe(400);
    expect(res.body['detail']).toContain('priority:');
    expect(res.body['detail']).toContain('callback_url: must be an http(s) URL (got "ftp://x")');
  });

  it('writes nothing when validation fails', async () => {
    await postJson(t.app, '/orchestrate', { ...valid, priority: 0 });
    expect(t.conclave.dispatcher.stats().submitted).toBe(0);
  });

  it('answers 404 UNKNOWN_PATTERN naming the pattern', async () => {
    const res = await postJson(t.app, '/orchestrate', { pattern: 'upload_pdf', payload: {} });
    expect(res.status).toBe(404);
    expect(res.body['code']).toBe('UNKNOWN_PATTERN');
    expect(res.body['status_code']).toBe(404);
    expect(res.body['detail']).toContain("'upload_pdf'");
    expect(res.body['detail']).toContain('analyze_momentum');
  });

  it('answers 503 QUEUE_FULL once the queue holds max_queue_size tasks, and writes nothing', async () => {
    await t.close();
    t = await makeTestServer({
      config: { dispatcher: { max_queue_size: 1, error_recovery: { jitter: 0 } } },
    });
    const hold = { pattern: 'hold', payload: {} };
    // The holder (one connection) takes the first and never answers; the second waits.
    expect((await postJson(t.app, '/orchestrate', hold)).status).toBe(202);
    expect((await postJson(t.app, '/orchestrate', hold)).status).toBe(202);
    expect(t.conclave.dispatcher.stats()).toMatchObject({ inFlight: 1, queued: 1 });
    const full = await postJson(t.app, '/orchestrate', hold);
    expect(full.status).toBe(503);
    expect(full.body).toEqual({
      detail: 'queue is full (1 of 1 tasks waiting)',
      status_code: 503,
      code: 'QUEUE_FULL',
    });
    // Any pattern: the queue is the dispatcher's.
    expect((await postJson(t.app, '/orchestrate', valid)).body['code']).toBe('QUEUE_FULL');
    expect(t.conclave.dispatcher.stats().submitted).toBe(2);
  });

  /** POSTs `body`, expects a 503 with exactly this code and detail, and `submitted` tasks in all. */
  async function expectRefused(
    body: Record<string, unknown>,
    code: string,
    detail: string,
    submitted: number,
  ) {
    const res = await postJson(t.app, '/orchestrate', body);
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ detail, status_code: 503, code });
    expect(t.conclave.dispatcher.stats().submitted).toBe(submitted);
  }

  it('answers 503 AGENT_UNAVAILABLE when no agent for the pattern is registered any more', async () => {
    await t.conclave.registry.unregister('quant');
    await expectRefused(
      valid,
      'AGENT_UNAVAILABLE',
      "pattern 'analyze_momentum': no agent is registered for capability 'momentum.analyze'",
      0,
    );
  });

  it('answers 503 AGENT_UNAVAILABLE, writing nothing, while every agent for the pattern is disabled', async () => {
    t.conclave.registry.disable('quant', 'maintenance');
    await expectRefused(
      valid,
      'AGENT_UNAVAILABLE',
      "no agent for capability 'momentum.analyze' is available: quant (disabled)",
      0,
    );
    t.conclave.registry.enable('quant');
    expect((await postJson(t.app, '/orchestrate', valid)).status).toBe(202);
  });

  it('answers 503 CIRCUIT_OPEN, writing nothing, while every agent for the pattern is behind an open circuit', async () => {
    await t.close();
    t = await makeTestServer({
      config: { dispatcher: { error_recovery: { circuit_breaker_threshold: 1, jitter: 0 } } },
    });
    const risk = { pattern: 'assess_risk', payload: {} };
    const first = await postJson(t.app, '/orchestrate', risk);
    expect(first.status).toBe(202);
    await t.conclave.dispatcher.wait(first.body['task_id'] as string);
    t.conclave.registry.enable('risk_agent'); // running again: only its breaker is open
    await expectRefused(
      risk,
      'CIRCUIT_OPEN',
      "no agent for agent 'risk_agent' is available: risk_agent (circuit open)",
      1,
    );
  });

  it('answers 400 for malformed JSON', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/orchestrate',
      headers: { 'content-type': 'application/json' },
      payload: '{"pattern": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', status_code: 400 });
    expect(res.json<{ detail: string }>().detail).toMatch(/^body: is not valid JSON/);
  });

  it('answers 413 in the error shape for a body over 1 MiB', async () => {
    const big = { pattern: 'analyze_momentum', payload: { blob: 'x'.repeat(1_048_576) } };
    const res = await postJson(t.app, '/orchestrate', big);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status_code: 413 });
    expect(res.body['detail']).toMatch(/too large/);
    expect(t.conclave.dispatcher.stats().submitted).toBe(0);
  });
});
