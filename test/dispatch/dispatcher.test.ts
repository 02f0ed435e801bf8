import { afterEach, describe, expect, it } from 'vitest';
import { ConclaveError } from '../../src/core/errors.ts';
import { DeadLetterQueue, aggregateTasks } from '../../src/dispatch/index.ts';
import { makeHarness, type Harness } from './harness.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function expectCode(p: Promise<unknown>, code: string, field?: string): Promise<ConclaveError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConclaveError);
  const ce = err as ConclaveError;
  expect(ce.code).toBe(code);
  if (field !== undefined) expect(ce.message).toContain(field);
  return ce;
}

describe('Dispatcher: intake', () => {
  it('commits a task before submit resolves and runs it to completion', async () => {
    h = await makeHarness();
    h.agent('echo', ['echo'], (req) => ({ got: req.payload, attempt: req.attempt, key: req.idempotencyKey }));
    const task = await h.dispatcher.submit({ pattern: 'echo', payload: { x: 1 } });
    expect(task.status).toBe('queued');
    const stored = await h.store.tasks.get(task.id);
    expect(stored?.id).toBe(task.id);
    const done = await h.dispatcher.wait(task.id);
    expect(done.status).toBe('completed');
    expect(done.result).toEqual({ got: { x: 1 }, attempt: 1, key: task.id });
    expect(done.agent).toBe('echo');
    expect((await h.store.tasks.get(task.id))?.status).toBe('completed');
  });

  it('rejects bad input with an error naming the field, writing nothing', async () => {
    h = await makeHarness({ maxPayloadBytes: 100 });
    h.agent('echo', ['echo'], () => 1);
    const d = h.dispatcher;
    await expectCode(d.submit({ pattern: 'nope', payload: {} }), 'UNKNOWN_PATTERN', 'nope');
    await expectCode(
      d.submit({ pattern: 'echo', payload: {}, priority: 0 }),
      'VALIDATION_FAILED',
      'priority',
    );
    await expectCode(
      d.submit({ pattern: 'echo', payload: {}, priority: 10 }),
      'VALIDATION_FAILED',
      'priority',
    );
    await expectCode(d.submit({ pattern: 'echo', payload: [1] as never }), 'VALIDATION_FAILED', 'payload');
    await expectCode(d.submit({ pattern: 'echo', payload: 'x' as never }), 'VALIDATION_FAILED', 'payload');
    await expectCode(
      d.submit({ pattern: 'echo', payload: {}, timeoutMs: 0 }),
      'VALIDATION_FAILED',
      'timeoutMs',
    );
    await expectCode(
      d.submit({ pattern: 'echo', payload: {}, timeoutMs: -5 }),
      'VALIDATION_FAILED',
      'timeoutMs',
    );
    await expectCode(
      d.submit({ pattern: 'echo', payload: { s: 'x'.repeat(200) } }),
      'PAYLOAD_TOO_LARGE',
      'payload',
    );
    await expectCode(
      d.submit({ pattern: 'echo', payload: {}, bogus: 1 } as never),
      'VALIDATION_FAILED',
      'bogus',
    );
    await expectCode(
      d.submitMany([
        { pattern: 'echo', payload: {} },
        { pattern: 'echo', payload: {}, priority: 6 },
      ]),
      'VALIDATION_FAILED',
      'tasks[1]',
    );
    await h.dispatcher.flush();
    const counts = await h.store.tasks.countByStatus();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
    expect(h.dispatcher.stats().queued).toBe(0);
  });

  it('fails fast with AGENT_UNAVAILABLE when no agent is registered for a rule', async () => {
    h = await makeHarness({}, [{ pattern: 'upload_pdf', target_agent: 'content_ingestion_agent' }]);
    await expectCode(
      h.dispatcher.submit({ pattern: 'upload_pdf', payload: {} }),
      'AGENT_UNAVAILABLE',
      'content_ingestion_agent',
    );
  });

  it('accepts a task for a disabled agent (it retries), unless the caller requires one available now', async () => {
    h = await makeHarness();
    h.agent('quant', ['analyze'], () => 'ok');
    h.registry.disable('quant', 'maintenance');
    await expectCode(
      h.dispatcher.submit({ pattern: 'analyze', payload: {} }, { requireAvailable: true }),
      'AGENT_UNAVAILABLE',
      'quant (disabled)',
    );
    expect(h.dispatcher.stats().submitted).toBe(0);
    const waiting = await h.dispatcher.submit({ pattern: 'analyze', payload: {} });
    expect(waiting.status).toBe('queued');
    await h.settle(); // its first attempt finds no agent and waits out a backoff
    h.registry.enable('quant');
    await h.clock.advance(1000);
    expect((await h.dispatcher.wait(waiting.id)).status).toBe('completed');
  });

  it('refuses with QUEUE_FULL past the maximum queue size, losing nothing accepted', async () => {
    h = await makeHarness({ maxQueueSize: 3, maxInFlight: 1 });
    let release: () => void = () => undefined;
    h.agent('slow', ['slow'], () => new Promise<void>((r) => (release = r)));
    const accepted = [];
    for (let i = 0; i < 4; i++) accepted.push(await h.dispatcher.submit({ pattern: 'slow', payload: { i } }));
    // one running, three waiting: the fifth is refused
    await expectCode(h.dispatcher.submit({ pattern: 'slow', payload: { i: 4 } }), 'QUEUE_FULL');
    for (let i = 0; i < 4; i++) {
      release();
      await h.settle();
    }
    for (const t of accepted) expect((await h.dispatcher.wait(t.id)).status).toBe('completed');
  });
});

describe('Dispatcher: scheduling', () => {
  it('serves priority 5 first, FIFO within a priority', async () => {
    h = await makeHarness({ maxInFlight: 1 });
    const order: string[] = [];
    let release: () => void = () => undefined;
    h.agent('w', ['w'], (req) => {
      order.push(String(req.payload['name']));
      return new Promise<void>((r) => (release = r));
    });
    const blocker = await h.dispatcher.submit({ pattern: 'w', payload: { name: 'blocker' } });
    const specs: [string, number][] = [
      ['a', 1],
      ['b', 3],
      ['c', 5],
      ['d', 3],
      ['e', 5],
      ['f', 2],
    ];
    await h.dispatcher.submitMany(
      specs.map(([name, priority]) => ({ pattern: 'w', payload: { name }, priority })),
    );
    for (let i = 0; i < 7; i++) {
      release();
      await h.settle();
    }
    await h.dispatcher.wait(blocker.id);
    expect(order).toEqual(['blocker', 'c', 'e', 'b', 'd', 'f', 'a']);
  });

  it('keeps a slow agent at its connection limit from starving other agents', async () => {
    h = await makeHarness({ maxInFlight: 10 });
    h.agent('slow', ['slow'], () => new Promise(() => undefined), { maxConnections: 2 });
    h.agent('fast', ['fast'], () => 'ok');
    for (let i = 0; i < 20; i++)
      await h.dispatcher.submit({ pattern: 'slow', payload: {}, timeoutMs: 3_600_000 });
    const fast = await h.dispatcher.submit({ pattern: 'fast', payload: {} });
    expect((await h.dispatcher.wait(fast.id)).status).toBe('completed');
    expect(h.dispatcher.inFlightFor('slow')).toBe(2);
    expect(h.dispatcher.stats().parked).toBe(18);
  });

  it('balances round robin across the agents serving a capability', async () => {
    h = await makeHarness();
    for (const n of ['a1', 'a2', 'a3']) h.agent(n, ['risk.assess'], () => n);
    const tasks = await h.dispatcher.submitMany(
      Array.from({ length: 9 }, () => ({ pattern: 'risk.assess', payload: {} })),
    );
    const agents = await Promise.all(tasks.map(async (t) => (await h.dispatcher.wait(t.id)).agent));
    expect(agents.filter((a) => a === 'a1')).toHaveLength(3);
    expect(agents.filter((a) => a === 'a2')).toHaveLength(3);
    expect(agents.filter((a) => a === 'a3')).toHaveLength(3);
  });

  it('balances by weight', async () => {
    h = await makeHarness({ balancing: 'weighted' });
    h.agent('big', ['x'], () => 'big', { weight: 3 });
    h.agent('small', ['x'], () => 'small', { weight: 1 });
    const tasks = await h.dispatcher.submitMany(
      Array.from({ length: 40 }, () => ({ pattern: 'x', payload: {} })),
    );
    const agents = await Promise.all(tasks.map(async (t) => (await h.dispatcher.wait(t.id)).agent));
    expect(agents.filter((a) => a === 'big')).toHaveLength(30);
  });

  it('sends work to the least loaded agent under least_connections', async () => {
    h = await makeHarness({ balancing: 'least_connections' });
    const held: (() => void)[] = [];
    h.agent('busy', ['x'], () => new Promise<void>((r) => held.push(r)));
    h.agent('idle', ['x'], () => 'idle');
    await h.dispatcher.submit({ pattern: 'x', payload: {} }); // goes to busy (tie → first)
    await h.settle();
    const next: (string | null)[] = [];
    for (let i = 0; i < 5; i++) next.push((await h.dispatcher.run({ pattern: 'x', payload: {} })).agent);
    expect(next).toEqual(['idle', 'idle', 'idle', 'idle', 'idle']);
    held.forEach((r) => r());
  });

  it('holds tasks past an agent rate limit until tokens refill', async () => {
    h = await makeHarness({ perAgentRateLimits: { limited: { ratePerMinute: 60, burst: 2 } } });
    const calls: number[] = [];
    h.agent('limited', ['l'], () => calls.push(h.clock.now()));
    const tasks = await h.dispatcher.submitMany(
      Array.from({ length: 4 }, () => ({ pattern: 'l', payload: {} })),
    );
    await h.settle();
    expect(calls).toHaveLength(2);
    await h.clock.advance(1000);
    await h.settle();
    expect(calls).toHaveLength(3);
    await h.clock.advance(1000);
    await h.settle();
    for (const t of tasks) expect((await h.dispatcher.wait(t.id)).status).toBe('completed');
    expect(calls[3]! - calls[0]!).toBe(2000);
  });
});

describe('Dispatcher: failures', () => {
  it('retries with exponential backoff 1 s, 2 s, 4 s, then dead-letters', async () => {
    h = await makeHarness({ breaker: { failureThreshold: 100, resetTimeoutMs: 30_000 } });
    const attempts: number[] = [];
    h.agent('flaky', ['f'], () => {
      attempts.push(h.clock.now());
      throw new ConclaveError('AGENT_ERROR', 'boom');
    });
    const t = await h.dispatcher.submit({ pattern: 'f', payload: { k: 1 } });
    await h.settle();
    await h.clock.advance(1000);
    await h.clock.advance(2000);
    await h.clock.advance(4000);
    const done = await h.dispatcher.wait(t.id);
    expect(done.status).toBe('dead_lettered');
    expect(done.attempts).toBe(4);
    expect(attempts.map((a) => a - attempts[0]!)).toEqual([0, 1000, 3000, 7000]);
    const dlq = new DeadLetterQueue(h.store.tasks, h.dispatcher, h.clock);
    const letters = await dlq.list();
    expect(letters).toHaveLength(1);
    expect(letters[0]!.taskId).toBe(t.id);
    expect(letters[0]!.error.message).toContain('boom');
  });

  it('does not retry a non-retryable error', async () => {
    h = await makeHarness();
    let calls = 0;
    h.agent('strict', ['s'], () => {
      calls++;
      throw new ConclaveError('VALIDATION_FAILED', 'bad symbol', { retryable: false });
    });
    const done = await h.dispatcher.run({ pattern: 's', payload: {} });
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('VALIDATION_FAILED');
    expect(calls).toBe(1);
  });

  it('times out an attempt that does not answer, and retries it', async () => {
    h = await makeHarness({ maxRetries: 1 });
    const signals: AbortSignal[] = [];
    h.agent('hang', ['h'], (_req, signal) => {
      signals.push(signal);
      return new Promise(() => undefined);
    });
    const t = await h.dispatcher.submit({ pattern: 'h', payload: {}, timeoutMs: 500 });
    await h.settle();
    await h.clock.advance(500);
    expect(signals[0]!.aborted).toBe(true);
    await h.clock.advance(1000);
    await h.clock.advance(500);
    const done = await h.dispatcher.wait(t.id);
    expect(done.status).toBe('dead_lettered');
    expect(done.error?.code).toBe('TIMEOUT');
    expect(done.attempts).toBe(2);
  });

  it('opens the circuit after N consecutive failures, half-opens after the reset timeout, closes on success', async () => {
    h = await makeHarness({ maxRetries: 0, breaker: { failureThreshold: 3, resetTimeoutMs: 10_000 } });
    let healthy = false;
    let calls = 0;
    h.agent('b', ['b'], () => {
      calls++;
      if (!healthy) throw new ConclaveError('AGENT_ERROR', 'down');
      return 'up';
    });
    const transitions: string[] = [];
    h.dispatcher.events.on('breaker', (_a, t) => transitions.push(`${t.from}->${t.to}`));
    for (let i = 0; i < 3; i++) await h.dispatcher.run({ pattern: 'b', payload: {} });
    expect(h.dispatcher.breakers()['b']!.state).toBe('open');
    const refused = await h.dispatcher.run({ pattern: 'b', payload: {} });
    expect(refused.error?.code).toBe('CIRCUIT_OPEN');
    expect(calls).toBe(3);
    await h.clock.advance(10_000);
    healthy = true;
    const ok = await h.dispatcher.run({ pattern: 'b', payload: {} });
    expect(ok.status).toBe('completed');
    expect(h.dispatcher.breakers()['b']!.state).toBe('closed');
    expect(transitions).toEqual(['closed->open', 'open->half_open', 'half_open->closed']);
  });

  it('replays and purges dead letters', async () => {
    h = await makeHarness({ maxRetries: 0 });
    let fail = true;
    h.agent('r', ['r'], (req) => {
      if (fail) throw new ConclaveError('AGENT_ERROR', 'down');
      return req.payload;
    });
    const first = await h.dispatcher.run({ pattern: 'r', payload: { n: 1 }, corrId: 'c-1' });
    await h.dispatcher.run({ pattern: 'r', payload: { n: 2 } });
    expect(first.status).toBe('dead_lettered');
    const dlq = new DeadLetterQueue(h.store.tasks, h.dispatcher, h.clock);
    const [letter] = (await dlq.list()).filter((l) => l.taskId === first.id);
    fail = false;
    const replayed = await dlq.replay(letter!.id);
    const done = await h.dispatcher.wait(replayed.id);
    expect(done.status).toBe('completed');
    expect(done.result).toEqual({ n: 1 });
    expect(done.metadata['replay_of']).toBe(first.id);
    expect(done.corrId).toBe('c-1');
    await expectCode(dlq.replay(letter!.id), 'CONFLICT');
    expect(await dlq.list()).toHaveLength(1);
    expect(await dlq.list({ includeReplayed: true })).toHaveLength(2);
    expect(await dlq.purge()).toBe(2);
    expect(await dlq.list({ includeReplayed: true })).toHaveLength(0);
  });

  it('cancels queued and running tasks', async () => {
    h = await makeHarness({ maxInFlight: 1 });
    let sawAbort = false;
    h.agent(
      'c',
      ['c'],
      (_r, signal) =>
        new Promise((_res, rej) =>
          signal.addEventListener('abort', () => ((sawAbort = true), rej(signal.reason))),
        ),
    );
    const running = await h.dispatcher.submit({ pattern: 'c', payload: {} });
    const queued = await h.dispatcher.submit({ pattern: 'c', payload: {} });
    await h.settle();
    expect(h.dispatcher.cancel(queued.id, 'operator')).toBe(true);
    expect(h.dispatcher.cancel(running.id, 'operator')).toBe(true);
    const [a, b] = await Promise.all([h.dispatcher.wait(running.id), h.dispatcher.wait(queued.id)]);
    expect(sawAbort).toBe(true);
    expect([a.status, a.error?.code, b.status, b.error?.code]).toEqual([
      'failed',
      'CANCELLED',
      'failed',
      'CANCELLED',
    ]);
    expect(h.dispatcher.cancel(running.id)).toBe(false);
  });
});

describe('Dispatcher: durability', () => {
  it('picks up tasks a crashed process left queued or running', async () => {
    h = await makeHarness({ maxInFlight: 1 });
    h.agent('w', ['w'], () => new Promise(() => undefined));
    const tasks = await h.dispatcher.submitMany(
      Array.from({ length: 5 }, (_, i) => ({ pattern: 'w', payload: { i } })),
    );
    await h.settle();
    await h.dispatcher.flush();
    const counts = await h.store.tasks.countByStatus();
    expect(counts.running + counts.queued).toBe(5);
    // A new dispatcher on the same store, as after a crash (the old one is simply abandoned).
    const again = await makeHarness({}, [], { store: h.store, clock: h.clock });
    again.agent('w', ['w'], (req) => req.payload);
    expect(await again.dispatcher.recover()).toBe(5);
    for (const t of tasks) {
      const done = await again.dispatcher.wait(t.id);
      expect(done.status).toBe('completed');
      expect(done.result).toEqual(t.payload);
    }
    await again.close();
  });

  it('aggregates outcomes as POST /aggregate does', async () => {
    h = await makeHarness({ maxRetries: 0 });
    h.agent('ok', ['ok'], () => ({ fine: true }));
    h.agent('bad', ['bad'], () => {
      throw new ConclaveError('AGENT_ERROR', 'Connection timeout', { retryable: false });
    });
    const a = await h.dispatcher.run({ pattern: 'ok', payload: {} });
    const b = await h.dispatcher.run({ pattern: 'bad', payload: {} });
    const agg = await aggregateTasks([a.id, b.id, 'missing'], (id) => h.dispatcher.get(id));
    expect(agg.total_tasks).toBe(3);
    expect(agg.completed).toBe(1);
    expect(agg.failed).toBe(1);
    expect(agg.not_found).toEqual(['missing']);
    expect(agg.results[0]).toMatchObject({ task_id: a.id, agent: 'ok', result: { fine: true } });
    expect(agg.errors[0]).toMatchObject({ task_id: b.id, agent: 'bad', error: 'Connection timeout' });
  });
});

describe('Dispatcher: caller-chosen ids', () => {
  it('refuses a second submit with the id of a live or stored task, leaving the first intact', async () => {
    h = await makeHarness();
    let release: () => void = () => undefined;
    h.agent('w', ['w'], () => new Promise<string>((r) => (release = () => r('first'))));
    const id = '01a1ffb4-0000-7000-8000-000000000001';
    await h.dispatcher.submit({ pattern: 'w', payload: { n: 1 } }, { id });
    await expectCode(h.dispatcher.submit({ pattern: 'w', payload: { n: 2 } }, { id }), 'CONFLICT', id);
    await h.settle();
    release();
    const done = await h.dispatcher.wait(id);
    expect(done.result).toBe('first');
    expect(done.payload).toEqual({ n: 1 });
    // Finished and forgotten by the dispatcher: the store still refuses the id.
    await expectCode(h.dispatcher.submit({ pattern: 'w', payload: { n: 3 } }, { id }), 'CONFLICT');
    expect((await h.store.tasks.get(id))?.payload).toEqual({ n: 1 });
  });
});

describe('Dispatcher: halts and bulk cancel', () => {
  it('halts orders at once: refuses new ones, cancels waiting and running ones, until resumed', async () => {
    h = await makeHarness({ maxInFlight: 1 }, [
      { pattern: 'execute_order', capability: 'execution' },
      { pattern: 'assess_risk', capability: 'risk' },
    ]);
    const aborted: string[] = [];
    h.agent('broker', ['execution'], (req, signal) => {
      signal.addEventListener('abort', () => aborted.push(req.taskId));
      return new Promise(() => undefined);
    });
    h.agent('risk', ['risk'], () => ({ level: 'low' }));
    const running = await h.dispatcher.submit({ pattern: 'execute_order', payload: { qty: 1 } });
    const waiting = await h.dispatcher.submit({ pattern: 'execute_order', payload: { qty: 2 } });
    await h.settle();
    const { halt, cancelled } = h.dispatcher.halt(
      { targets: ['execution'] },
      'emergency stop: drawdown limit',
    );
    expect(cancelled).toBe(2);
    expect(aborted).toEqual([running.id]);
    for (const id of [running.id, waiting.id]) {
      const done = await h.dispatcher.wait(id);
      expect(done.status).toBe('failed');
      expect(done.error?.code).toBe('CANCELLED');
      expect(done.error?.message).toContain('emergency stop');
    }
    const refused = await expectCode(
      h.dispatcher.submit({ pattern: 'execute_order', payload: {} }),
      'HALTED',
    );
    expect(refused.message).toContain('drawdown limit');
    expect(refused.httpStatus).toBe(503);
    // Other work goes on.
    expect((await h.dispatcher.run({ pattern: 'assess_risk', payload: {} })).status).toBe('completed');
    expect(h.dispatcher.halts()).toHaveLength(1);
    h.dispatcher.resume(halt.id);
    expect(h.dispatcher.halts()).toHaveLength(0);
    await h.dispatcher.submit({ pattern: 'execute_order', payload: { qty: 3 } });
    expect(() => h.dispatcher.resume(halt.id)).toThrow(/no halt/);
    expect(() => h.dispatcher.halt({}, 'x')).toThrow(/at least one pattern or target/);
  });

  it('cancels every unfinished task of the selected patterns, and only those', async () => {
    h = await makeHarness({ maxInFlight: 2 });
    h.agent('disc', ['candidate_discovery'], () => new Promise(() => undefined), { maxConnections: 1 });
    h.agent('other', ['other'], () => new Promise(() => undefined));
    const discovery = await h.dispatcher.submitMany(
      Array.from({ length: 4 }, () => ({ pattern: 'candidate_discovery', payload: {} })),
    );
    const other = await h.dispatcher.submit({ pattern: 'other', payload: {} });
    await h.settle();
    expect(h.dispatcher.cancelMatching({ patterns: ['candidate_discovery'] }, 'clearing job queue')).toBe(4);
    for (const t of discovery) expect((await h.dispatcher.wait(t.id)).error?.code).toBe('CANCELLED');
    expect((await h.dispatcher.get(other.id))?.status).toBe('running');
  });
});
