import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { makeTestServer, type TestServer } from './helpers.ts';

let t: TestServer;
afterEach(async () => {
  await t.close();
});

it('serves the API over a real socket', async () => {
  t = await makeTestServer();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = t.app.server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  const submitted = await fetch(`${base}/orchestrate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ pattern: 'analyze_momentum', payload: { symbol: 'GOOG' }, priority: 4 }),
  });
  expect(submitted.status).toBe(202);
  expect(submitted.headers.get('content-type')).toMatch(/^application\/json/);
  const { task_id: taskId } = (await submitted.json()) as { task_id: string };
  await t.conclave.dispatcher.wait(taskId);

  const status = await fetch(`${base}/status/${taskId}`);
  expect(status.status).toBe(200);
  expect(await status.json()).toMatchObject({
    task_id: taskId,
    status: 'completed',
    priority: 4,
    result: { signal: 'buy', symbol: 'GOOG' },
  });

  const bad = await fetch(`${base}/orchestrate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ pattern: 'analyze_momentum', payload: {}, priority: 9 }),
  });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { detail: string }).detail).toMatch(/^priority:/);
});
