import { afterEach, describe, expect, it, vi } from 'vitest';
import { getJson, makeTestServer, postJson, type TestServer } from './helpers.ts';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('POST /agents/{name}/enable and /disable', () => {
  it('disables an agent with a reason and enables it again', async () => {
    t = await makeTestServer();
    const off = await postJson(t.app, '/agents/quant/disable', { reason: 'maintenance' });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ name: 'quant', status: 'disabled', status_reason: 'maintenance' });
    expect(t.conclave.registry.get('quant')?.status).toBe('disabled');
    const on = await postJson(t.app, '/agents/quant/enable', {});
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ name: 'quant', status: 'running' });
  });

  it('disables without a body, naming the API as the reason', async () => {
    t = await makeTestServer();
    const res = await t.app.inject({ method: 'POST', url: '/agents/quant/disable' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'disabled',
      status_reason: 'disabled through the API by api',
    });
  });

  it('answers 404 for an unknown agent and 400 for an unknown body field', async () => {
    t = await makeTestServer();
    const missing = await postJson(t.app, '/agents/ghost/enable', {});
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      code: 'AGENT_NOT_FOUND',
      detail: "agent 'ghost' is not registered",
    });
    const bad = await postJson(t.app, '/agents/quant/disable', { why: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body['detail']).toMatch(/unknown field\(s\): why; allowed: reason/);
  });
});

describe('POST without a body', () => {
  it('accepts a workflow cancel and a command with no body at all', async () => {
    t = await makeTestServer();
    const cancel = await t.app.inject({ method: 'POST', url: '/workflows/wf_none/cancel' });
    expect(cancel.statusCode).toBe(200);
    expect(cancel.json()).toEqual({ workflow_id: 'wf_none', cancelled: false });
    const command = await t.app.inject({ method: 'POST', url: '/commands/no_such_command' });
    // Refused for its unknown type, not for the missing body.
    expect(command.json<{ detail: string }>().detail).toMatch(/no_such_command/);
    expect(command.json<{ detail: string }>().detail).not.toMatch(/^body/);
  });
});

describe('GET /status', () => {
  it('reports agents by state, queues, workflows and halts', async () => {
    t = await makeTestServer();
    const total = t.conclave.registry.statusCounts().total;
    t.conclave.registry.disable('holder', 'test');
    const res = await getJson(t.app, '/status');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      timestamp: new Date(t.clock.now()).toISOString(),
      system_metrics: { running_agents: total - 1, disabled_agents: 1, total_agents: total },
      message_queue_size: 0,
      in_flight_tasks: 0,
      active_workflows: 0,
      halts: [],
    });
  });
});

describe('POST /shutdown', () => {
  it('answers 202, then calls onShutdown once the reply is out, and only once', async () => {
    const onShutdown = vi.fn();
    t = await makeTestServer({ app: { onShutdown } });
    const first = await postJson(t.app, '/shutdown', {});
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ status: 'shutting_down', requested_by: null });
    await vi.waitFor(() => expect(onShutdown).toHaveBeenCalledTimes(1));
    expect((await postJson(t.app, '/shutdown', {})).status).toBe(202);
    await new Promise((r) => setTimeout(r, 20));
    expect(onShutdown).toHaveBeenCalledTimes(1);
  });

  it('is not served when the app has no shutdown handler', async () => {
    t = await makeTestServer();
    expect((await postJson(t.app, '/shutdown', {})).status).toBe(404);
  });

  it('logs a failing shutdown handler instead of crashing', async () => {
    t = await makeTestServer({ app: { onShutdown: () => Promise.reject(new TypeError('boom')) } });
    const error = vi.spyOn(t.conclave.logger, 'error');
    expect((await postJson(t.app, '/shutdown', {})).status).toBe(202);
    await vi.waitFor(() =>
      expect(error).toHaveBeenCalledWith(
        expect.objectContaining({ event: 'shutdown_failed' }),
        'shutdown failed',
      ),
    );
  });
});
