import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { signCallback } from '../../src/server/index.ts';
import { startCallbackReceiver, verifySignature, type CallbackReceiver } from './callback-receiver.ts';
import { makeTestServer, postJson, type TestServer } from './helpers.ts';

const SECRET = 'callback-secret-0123456789';

let t: TestServer | undefined;
let receiver: CallbackReceiver | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  await receiver?.close();
  receiver = undefined;
});

/** A local receiver answering each POST with the next status in `statuses` (then 200). */
async function startReceiver(statuses: number[] = []): Promise<CallbackReceiver> {
  receiver = await startCallbackReceiver(() => statuses.shift() ?? 200);
  return receiver;
}

const verify = verifySignature;

const callbackConfig = {
  server: { callback_secret: SECRET, callback_retry_delay_seconds: 0.01, callback_timeout_seconds: 1 },
};

describe('callback_url', () => {
  it('POSTs the finished task, signed so the receiver can verify it', async () => {
    const { url, received } = await startReceiver();
    t = await makeTestServer({ config: callbackConfig });
    const res = await postJson(t.app, '/orchestrate', {
      pattern: 'analyze_momentum',
      payload: { symbol: 'AAPL' },
      callback_url: url,
      corr_id: 'corr-cb',
    });
    expect(res.status).toBe(202);
    await vi.waitFor(() => expect(received).toHaveLength(1));
    const [hit] = received;
    const body = JSON.parse(hit!.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      event: 'task.finished',
      task_id: res.body['task_id'],
      status: 'completed',
      result: { signal: 'buy', symbol: 'AAPL' },
      corr_id: 'corr-cb',
    });
    const signature = hit!.headers['x-conclave-signature'] as string;
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(signature.startsWith(`t=${Math.floor(t.clock.now() / 1000)},`)).toBe(true);
    expect(verify(signature, hit!.body, SECRET)).toBe(true);
    expect(verify(signature, hit!.body, 'another-secret-0123456')).toBe(false);
    expect(verify(signature, hit!.body.replace('AAPL', 'MSFT'), SECRET)).toBe(false);
    expect(hit!.headers['content-type']).toBe('application/json');
  });

  it('retries a 500 and stops at the 200, keeping the delivery id', async () => {
    const { url, received } = await startReceiver([500]);
    t = await makeTestServer({ config: callbackConfig });
    await postJson(t.app, '/orchestrate', { pattern: 'analyze_momentum', payload: {}, callback_url: url });
    await vi.waitFor(() => expect(received).toHaveLength(2));
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toHaveLength(2);
    expect(received[0]!.headers['x-conclave-delivery']).toBe(received[1]!.headers['x-conclave-delivery']);
  });

  it('gives up after callback_max_attempts', async () => {
    const down = await startReceiver([503, 503, 503, 503]);
    t = await makeTestServer({ config: { server: { ...callbackConfig.server, callback_max_attempts: 3 } } });
    const warn = vi.spyOn(t.conclave.logger, 'warn');
    await postJson(t.app, '/orchestrate', {
      pattern: 'analyze_momentum',
      payload: {},
      callback_url: down.url,
    });
    await vi.waitFor(() =>
      expect(warn).toHaveBeenCalledWith(
        expect.objectContaining({ event: 'callback_failed', attempts: 3, status: 503 }),
        'callback not delivered',
      ),
    );
    expect(down.received).toHaveLength(3);
    const logged = JSON.stringify(warn.mock.calls);
    expect(logged).not.toContain('token=abc');
  });

  it('does not retry a 400: the receiver refused the content', async () => {
    const { url, received } = await startReceiver([400]);
    t = await makeTestServer({ config: callbackConfig });
    const warn = vi.spyOn(t.conclave.logger, 'warn');
    await postJson(t.app, '/orchestrate', { pattern: 'analyze_momentum', payload: {}, callback_url: url });
    await vi.waitFor(() =>
      expect(warn).toHaveBeenCalledWith(
        expect.objectContaining({ event: 'callback_failed', attempts: 1, status: 400 }),
        'callback not delivered',
      ),
    );
    expect(received).toHaveLength(1);
  });

  it('survives a receiver that is down: the task completes and the app closes', async () => {
    const { url } = await startReceiver();
    await receiver!.close();
    t = await makeTestServer({ config: { server: { ...callbackConfig.server, callback_max_attempts: 20 } } });
    const info = vi.spyOn(t.conclave.logger, 'info');
    const res = await postJson(t.app, '/orchestrate', {
      pattern: 'analyze_momentum',
      payload: {},
      callback_url: url,
    });
    const task = await t.conclave.dispatcher.wait(res.body['task_id'] as string);
    expect(task.status).toBe('completed');
    const status = await t.app.inject({ method: 'GET', url: `/status/${task.id}` });
    expect(status.statusCode).toBe(200);
    // Closing abandons the retries still waiting; the delivery stays pending for the next start
    // (callbacks-restart.test.ts).
    const started = Date.now();
    await t.app.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(info).toHaveBeenCalledWith(
      expect.objectContaining({ event: 'callback_suspended', task_id: task.id }),
      'callback pending: resumes on the next start',
    );
    const [pending] = await t.conclave.store.callbacks.listPending();
    expect(pending).toMatchObject({ taskId: task.id, status: 'pending' });
    expect(pending?.attempts).toBeGreaterThanOrEqual(1);
  });

  it('sends unsigned callbacks when no secret is configured, warning once', async () => {
    const { url, received } = await startReceiver();
    t = await makeTestServer();
    const warn = vi.spyOn(t.conclave.logger, 'warn');
    await postJson(t.app, '/orchestrate', { pattern: 'analyze_momentum', payload: {}, callback_url: url });
    await postJson(t.app, '/orchestrate', { pattern: 'analyze_momentum', payload: {}, callback_url: url });
    await vi.waitFor(() => expect(received).toHaveLength(2));
    expect(received[0]!.headers['x-conclave-signature']).toBeUndefined();
    expect(
      warn.mock.calls.filter(([f]) => (f as { event?: string }).event === 'callback_unsigned'),
    ).toHaveLength(1);
  });
});

describe('signCallback', () => {
  it('is HMAC-SHA256 over "<t>.<body>" in the t=,v1= form', () => {
    const mac = createHmac('sha256', 's').update('1700000000.{}').digest('hex');
    expect(signCallback('s', 1_700_000_000, '{}')).toBe(`t=1700000000,v1=${mac}`);
  });
});
