import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getJson, makeTestServer, postJson, type TestServer } from './helpers.ts';

let t: TestServer;
beforeEach(async () => {
  t = await makeTestServer();
});
afterEach(async () => {
  await t.close();
});

/** Makes a dead letter: `assess_risk` fails once and, with no retries, dead-letters. */
async function deadLetter(
  payload: Record<string, unknown> = { book: 'alpha' },
): Promise<{ taskId: string; id: string }> {
  const res = await postJson(t.app, '/orchestrate', { pattern: 'assess_risk', payload, corr_id: 'c-1' });
  const taskId = res.body['task_id'] as string;
  await t.conclave.dispatcher.wait(taskId);
  await t.conclave.dispatcher.flush();
  const letters = await t.conclave.deadLetters.list({ includeReplayed: true });
  const letter = letters.find((l) => l.taskId === taskId);
  if (letter === undefined) throw new Error(`task ${taskId} was not dead-lettered`);
  return { taskId, id: letter.id };
}

function items(body: Record<string, unknown>): Record<string, unknown>[] {
  return body['items'] as Record<string, unknown>[];
}

describe('dead-letter routes', () => {
  it('lists dead letters with their task, error and times', async () => {
    const { taskId, id } = await deadLetter();
    const res = await getJson(t.app, '/dlq');
    expect(res.status).toBe(200);
    expect(res.body['limit']).toBe(100);
    expect(res.body['offset']).toBe(0);
    expect(items(res.body)).toEqual([
      {
        id,
        task_id: taskId,
        pattern: 'assess_risk',
        target: 'risk_agent',
        payload: { book: 'alpha' },
        metadata: {},
        priority: 3,
        corr_id: 'c-1',
        agent: 'risk_agent',
        attempts: 1,
        error: { code: 'AGENT_ERROR', message: 'risk model unavailable', retryable: true, details: {} },
        dead_at: '2025-11-03T10:30:00.000Z',
        replayed_task_id: null,
        replayed_at: null,
      },
    ]);
  });

  it('pages with limit and offset', async () => {
    await deadLetter({ n: 1 });
    await deadLetter({ n: 2 });
    await deadLetter({ n: 3 });
    const page = await getJson(t.app, '/dlq?limit=2&offset=1');
    expect(page.status).toBe(200);
    expect(items(page.body)).toHaveLength(2);
    expect(page.body).toMatchObject({ limit: 2, offset: 1 });
  });

  it.each([
    ['limit=0', 'querystring.limit: must be an integer from 1 to 1000 (got "0")'],
    ['limit=abc', 'querystring.limit: must be an integer from 1 to 1000 (got "abc")'],
    ['offset=-1', 'querystring.offset: must be an integer >= 0 (got "-1")'],
    ['include_replayed=maybe', 'querystring.include_replayed: must be true or false (got "maybe")'],
  ])('refuses ?%s with 400 naming the parameter', async (query, detail) => {
    const res = await getJson(t.app, `/dlq?${query}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ detail, status_code: 400, code: 'VALIDATION_FAILED' });
  });

  it('gets one letter, and 404 for an unknown one', async () => {
    const { id, taskId } = await deadLetter();
    const one = await getJson(t.app, `/dlq/${id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id, task_id: taskId });
    const missing = await getJson(t.app, '/dlq/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      detail: "dead letter 'nope' does not exist",
      status_code: 404,
      code: 'NOT_FOUND',
    });
  });

  it('replays a letter as a new task once; a second replay is 409', async () => {
    const { id, taskId } = await deadLetter();
    const replay = await t.app.inject({ method: 'POST', url: `/dlq/${id}/replay` });
    expect(replay.statusCode).toBe(202);
    const task = replay.json<Record<string, unknown>>();
    expect(task).toMatchObject({ status: 'queued', agent: 'risk_agent' });
    expect(task['task_id']).not.toBe(taskId);
    const rec = await t.conclave.dispatcher.get(task['task_id'] as string);
    expect(rec?.metadata).toMatchObject({ replay_of: taskId });

    const again = await t.app.inject({ method: 'POST', url: `/dlq/${id}/replay` });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'CONFLICT', status_code: 409 });

    await t.conclave.dispatcher.wait(task['task_id'] as string);
    const unreplayed = await getJson(t.app, '/dlq');
    expect(items(unreplayed.body).map((l) => l['id'])).not.toContain(id);
    const all = await getJson(t.app, '/dlq?include_replayed=true');
    const old = items(all.body).find((l) => l['id'] === id);
    expect(old).toMatchObject({ replayed_task_id: task['task_id'], replayed_at: '2025-11-03T10:30:00.000Z' });
  });

  it('replaying an unknown letter is 404', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/dlq/nope/replay' });
    expect(res.statusCode).toBe(404);
  });

  it('deletes one letter, then 404 for it', async () => {
    const { id } = await deadLetter();
    const del = await t.app.inject({ method: 'DELETE', url: `/dlq/${id}` });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toEqual({ purged: 1 });
    const again = await t.app.inject({ method: 'DELETE', url: `/dlq/${id}` });
    expect(again.statusCode).toBe(404);
    expect(again.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('purges every letter', async () => {
    await deadLetter({ n: 1 });
    await deadLetter({ n: 2 });
    const purge = await t.app.inject({ method: 'DELETE', url: '/dlq' });
    expect(purge.statusCode).toBe(200);
    expect(purge.json()).toEqual({ purged: 2 });
    const after = await getJson(t.app, '/dlq?include_replayed=true');
    expect(items(after.body)).toEqual([]);
  });
});
