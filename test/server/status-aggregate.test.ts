import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getJson, makeTestServer, postJson, type TestServer } from './helpers.ts';

let t: TestServer;
beforeEach(async () => {
  t = await makeTestServer();
});
afterEach(async () => {
  await t.close();
});

async function submitAndFinish(pattern: string, payload: Record<string, unknown>): Promise<string> {
  const res = await postJson(t.app, '/orchestrate', { pattern, payload });
  expect(res.status).toBe(202);
  const id = res.body['task_id'] as string;
  await t.conclave.dispatcher.wait(id);
  return id;
}

describe('GET /status/:task_id', () => {
  it('shows a completed task with its result, agent and execution time', async () => {
    const id = await submitAndFinish('analyze_momentum', { symbol: 'MSFT' });
    const res = await getJson(t.app, `/status/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      task_id: id,
      status: 'completed',
      agent: 'quant',
      pattern: 'analyze_momentum',
      priority: 3,
      attempts: 1,
      result: { signal: 'buy', symbol: 'MSFT' },
      error: null,
      created_at: '2025-11-03T10:30:00.000Z',
      updated_at: '2025-11-03T10:30:00.000Z',
      execution_time: 0,
    });
  });

  it('shows a running task with a null result and execution time', async () => {
    const res = await postJson(t.app, '/orchestrate', { pattern: 'hold', payload: {} });
    const status = await getJson(t.app, `/status/${res.body['task_id'] as string}`);
    expect(status.status).toBe(200);
    expect(status.body['status']).toBe('running');
    expect(status.body['agent']).toBe('holder');
    expect(status.body['result']).toBeNull();
    expect(status.body['execution_time']).toBeNull();
  });

  it('shows a dead-lettered task with its error', async () => {
    const id = await submitAndFinish('assess_risk', {});
    const res = await getJson(t.app, `/status/${id}`);
    expect(res.body).toMatchObject({
      status: 'dead_lettered',
      agent: 'risk_agent',
      error: { code: 'AGENT_ERROR', message: 'risk model unavailable', retryable: true },
    });
  });

  it('answers 404 NOT_FOUND for an unknown task', async () => {
    const res = await getJson(t.app, '/status/no-such-task');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      detail: "task 'no-such-task' does not exist",
      status_code: 404,
      code: 'NOT_FOUND',
    });
  });
});

describe('POST /aggregate', () => {
  it('totals completed, failed and unknown tasks', async () => {
    const ok = await submitAndFinish('analyze_momentum', { symbol: 'IBM' });
    const bad = await submitAndFinish('assess_risk', {});
    const res = await postJson(t.app, '/aggregate', { task_ids: [ok, bad, 'ghost', ok] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      total_tasks: 3,
      completed: 1,
      failed: 1,
      pending: 0,
      not_found: ['ghost'],
      results: [{ task_id: ok, agent: 'quant', result: { signal: 'buy', symbol: 'IBM' }, execution_time: 0 }],
      errors: [
        {
          task_id: bad,
          agent: 'risk_agent',
          status: 'dead_lettered',
          error: 'risk model unavailable',
          code: 'AGENT_ERROR',
        },
      ],
    });
  });

  it.each([
    [{ task_ids: [] }, 'task_ids: must be an array of 1 to 1000 task ids (got [])'],
    [{ task_ids: 'abc' }, 'task_ids: must be an array of 1 to 1000 task ids (got "abc")'],
    [{}, 'task_ids: is required; must be an array of 1 to 1000 task ids'],
    [{ task_ids: [''] }, 'task_ids.0: must be a non-empty id (got "")'],
  ])('refuses %j with 400', async (body, detail) => {
    const res = await postJson(t.app, '/aggregate', body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ detail, status_code: 400, code: 'VALIDATION_FAILED' });
  });

  it('refuses more than 1000 ids', async () => {
    const ids = Array.from({ length: 1001 }, (_, i) => `t${i}`);
    const res = await postJson(t.app, '/aggregate', { task_ids: ids });
    expect(res.status).toBe(400);
    expect(res.body['detail']).toMatch(/^task_ids: must be an array of 1 to 1000 task ids/);
  });
});
