import { afterEach, describe, expect, it, vi } from 'vitest';
import { openSqliteStore } from '../../src/store/index.ts';
import { startCallbackReceiver, verifySignature, type CallbackReceiver } from './callback-receiver.ts';
import { makeTestServer, postJson, type TestServer } from './helpers.ts';
import { tempDbPaths } from '../support/temp-db.ts';

const SECRET = 'callback-secret-0123456789';

const freshPath = tempDbPaths('callback-restart');

let t: TestServer | undefined;
let receiver: CallbackReceiver | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  await receiver?.close();
  receiver = undefined;
});

/** A receiver answering every POST with `answer.status`, which a test may change. */
async function startReceiver(answer: { status: number }): Promise<CallbackReceiver> {
  receiver = await startCallbackReceiver(() => answer.status);
  return receiver;
}

const verify = (header: string | string[] | undefined, body: string): boolean =>
  verifySignature(header, body, SECRET);

const config = {
  server: {
    callback_secret: SECRET,
    callback_retry_delay_seconds: 0.05,
    callback_timeout_seconds: 1,
    callback_max_attempts: 20,
  },
};

describe('callback_url across a restart', () => {
  it('delivers after a restart, signed and under the same delivery id, a callback still retrying at shutdown', async () => {
    const path = freshPath();
    const answer = { status: 503 };
    const { url, received } = await startReceiver(answer);
    t = await makeTestServer({ config, storePath: path });
    const res = await postJson(t.app, '/orchestrate', {
      pattern: 'analyze_momentum',
      payload: { symbol: 'AAPL' },
      callback_url: url,
      corr_id: 'corr-restart',
    });
    expect(res.status).toBe(202);
    const taskId = res.body['task_id'] as string;
    // The receiver is down (503): the delivery is retrying when the process stops.
    await vi.waitFor(() => expect(received.length).toBeGreaterThanOrEqual(2));
    await t.close();
    t = undefined;
    const triedBefore = received.length;

    const store = await openSqliteStore({ path });
    const [pending, ...others] = await store.callbacks.listPending();
    expect(others).toHaveLength(0);
    expect(pending).toMatchObject({
      taskId,
      corrId: 'corr-restart',
      url,
      status: 'pending',
      lastStatus: 503,
    });
    // An attempt cut off by the shutdown counts, whether or not it reached the receiver.
    expect(pending!.attempts).toBeGreaterThanOrEqual(triedBefore);
    expect(pending!.attempts).toBeLessThanOrEqual(triedBefore + 1);
    await store.close();

    answer.status = 200;
    t = await makeTestServer({ config, storePath: path });
    await vi.waitFor(() => expect(received.filter((r) => r.status === 200)).toHaveLength(1));
    const first = received[0]!;
    const last = received.find((r) => r.status === 200)!;
    // The same body and delivery id as before the restart, so the receiver can drop duplicates.
    expect(last.body).toBe(first.body);
    expect(last.headers['x-conclave-delivery']).toBe(first.headers['x-conclave-delivery']);
    expect(last.headers['x-conclave-delivery']).toBe(pending!.id);
    expect(JSON.parse(last.body)).toMatchObject({
      event: 'task.finished',
      task_id: taskId,
      status: 'completed',
      result: { signal: 'buy', symbol: 'AAPL' },
      corr_id: 'corr-restart',
    });
    expect(verify(last.headers['x-conclave-signature'], last.body)).toBe(true);
    expect(verify(last.headers['x-conclave-signature'], last.body.replace('AAPL', 'MSFT'))).toBe(false);
    await vi.waitFor(async () =>
      expect(await t!.conclave.store.callbacks.get(pending!.id)).toMatchObject({
        status: 'delivered',
        attempts: pending!.attempts + 1,
        lastStatus: 200,
        error: null,
      }),
    );
    expect(await t.conclave.metrics.text()).toContain('conclave_callback_deliveries_resumed_total 1');
  });

  it('sends a delivery a killed process left pending, and never again one that was delivered', async () => {
    const path = freshPath();
    const answer = { status: 200 };
    const { url, received } = await startReceiver(answer);
    t = await makeTestServer({ config, storePath: path });
    const res = await postJson(t.app, '/orchestrate', {
      pattern: 'analyze_momentum',
      payload: { symbol: 'MSFT' },
      callback_url: url,
    });
    const taskId = res.body['task_id'] as string;
    await vi.waitFor(() => expect(received).toHaveLength(1));
    const deliveredId = received[0]!.headers['x-conclave-delivery'] as string;
    await vi.waitFor(async () =>
      expect((await t!.conclave.store.callbacks.get(deliveredId))?.status).toBe('delivered'),
    );
    const owner = t.conclave.config.server.instance_id;
    await t.close();
    t = undefined;

    // A delivery recorded by a process killed before its first attempt.
    const store = await openSqliteStore({ path });
    const body = JSON.stringify({ event: 'task.finished', task_id: 'task-crashed', status: 'failed' });
    await store.callbacks.insert({
      id: 'delivery-crashed',
      taskId: 'task-crashed',
      corrId: null,
      url,
      event: 'task.finished',
      body,
      status: 'pending',
      attempts: 0,
      lastStatus: null,
      error: null,
      createdAt: 1,
      updatedAt: 1,
      owner,
    });
    await store.close();

    t = await makeTestServer({ config, storePath: path });
    await vi.waitFor(() => expect(received).toHaveLength(2));
    const resent = received[1]!;
    expect(resent.headers['x-conclave-delivery']).toBe('delivery-crashed');
    expect(resent.body).toBe(body);
    expect(verify(resent.headers['x-conclave-signature'], resent.body)).toBe(true);
    await vi.waitFor(async () =>
      expect((await t!.conclave.store.callbacks.get('delivery-crashed'))?.status).toBe('delivered'),
    );
    // Resumption happens once, on start: the delivered callback of the first process stays sent once.
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toHaveLength(2);
    expect(received.filter((r) => r.body.includes(taskId))).toHaveLength(1);
  });

  it("leaves a live peer's pending callback to it (another instance_id on the same database), and resumes it on the owner's restart", async () => {
    const path = freshPath();
    const as = (instance_id: string) => ({ server: { ...config.server, instance_id } });
    const answer = { status: 503 };
    const { url, received } = await startReceiver(answer);
    let a: TestServer | undefined;
    let b: TestServer | undefined;
    let pendingId: string;
    try {
      // Process A's callback is retrying against a receiver that is down.
      a = await makeTestServer({ config: as('orch-a:8000'), storePath: path });
      await postJson(a.app, '/orchestrate', {
        pattern: 'analyze_momentum',
        payload: { symbol: 'AAPL' },
        callback_url: url,
      });
      await vi.waitFor(() => expect(received.length).toBeGreaterThanOrEqual(2));
      const [pending, ...others] = await a.conclave.store.callbacks.listPending();
      expect(others).toHaveLength(0);
      expect(pending?.owner).toBe('orch-a:8000');
      pendingId = pending!.id;

      // Process B starts on the same database while A retries: it resumes nothing.
      b = await makeTestServer({ config: as('orch-b:8000'), storePath: path });
      expect(await b.conclave.metrics.text()).toContain('conclave_callback_deliveries_resumed_total 0');
      await b.close();
      b = undefined;

      // A stops: the delivery stays pending, still A's.
      await a.close();
      a = undefined;
      const left = await openSqliteStore({ path });
      const suspended = await left.callbacks.get(pendingId);
      await left.close();
      expect(suspended).toMatchObject({ status: 'pending', owner: 'orch-a:8000' });

      // B starting again while A is down still leaves it alone, even with the receiver back. An
      // attempt A had in flight when it closed may still reach the receiver: let it land first.
      const before = await quiet(received);
      answer.status = 200;
      b = await makeTestServer({ config: as('orch-b:8000'), storePath: path });
      expect(await b.conclave.metrics.text()).toContain('conclave_callback_deliveries_resumed_total 0');
      await new Promise((r) => setTimeout(r, 150));
      expect(received).toHaveLength(before);
      expect(await b.conclave.store.callbacks.get(pendingId)).toStrictEqual(suspended);
    } finally {
      await b?.close();
      await a?.close();
    }

    // A restarts under its instance id and delivers it, under the same delivery id.
    t = await makeTestServer({ config: as('orch-a:8000'), storePath: path });
    expect(await t.conclave.metrics.text()).toContain('conclave_callback_deliveries_resumed_total 1');
    await vi.waitFor(() => expect(received.filter((r) => r.status === 200)).toHaveLength(1));
    expect(received.find((r) => r.status === 200)?.headers['x-conclave-delivery']).toBe(pendingId);
    await vi.waitFor(async () =>
      expect((await t!.conclave.store.callbacks.get(pendingId))?.status).toBe('delivered'),
    );
  });
});

/** Waits until no request has reached the receiver for 100 ms; returns how many it has had. */
async function quiet(received: readonly unknown[]): Promise<number> {
  let seen = -1;
  while (received.length !== seen) {
    seen = received.length;
    await new Promise((r) => setTimeout(r, 100));
  }
  return seen;
}
