import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type RemoteAgent } from '../../src/agent-sdk/index.ts';
import {
  AGENT_SUBJECTS,
  AgentRegistry,
  InprocTransport,
  NatsTransport,
  RemoteAgentDirectory,
  callContext,
} from '../../src/agents/index.ts';
import { MemoryBus } from '../../src/bus/index.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { ConclaveError, isConclaveError } from '../../src/core/errors.ts';
import { makeRequest } from './helpers.ts';

/** The NATS transport, the remote-agent directory and the SDK, on the in-process bus. */
const buses: MemoryBus[] = [];
const agents: RemoteAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop(0)));
  await Promise.all(buses.splice(0).map((b) => b.close()));
});

function bus(): MemoryBus {
  const b = new MemoryBus();
  buses.push(b);
  return b;
}

async function failure(p: Promise<unknown>): Promise<ConclaveError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isConclaveError(err)) throw new Error(`expected a ConclaveError, got ${String(err)}`);
  return err;
}

const ctx = () => callContext(new AbortController().signal);

describe('NatsTransport', () => {
  it('requests agents.<name>.call with the task and headers, and returns the result', async () => {
    const b = bus();
    const seen: { data: unknown; headers: Record<string, string> }[] = [];
    b.subscribe('agents.risk.call', (msg) => {
      seen.push({ data: msg.data, headers: msg.headers });
      void b.respond(msg, { ok: true, result: { size: 10 } });
    });
    const t = new NatsTransport({ bus: b, agent: 'risk' });
    const out = await t.call(makeRequest({ headers: { traceparent: '00-abc-def-01' } }), ctx());
    expect(out).toEqual({ size: 10 });
    expect(seen[0]?.data).toMatchObject({
      task_id: 'task-1',
      capability: 'risk.assess',
      attempt: 1,
      corr_id: 'corr-1',
    });
    expect(seen[0]?.headers).toMatchObject({
      traceparent: '00-abc-def-01',
      'conclave-corr-id': 'corr-1',
      'conclave-idempotency-key': 'idem-task-1',
    });
  });

  it("passes the agent's error code and retryability on", async () => {
    const b = bus();
    b.subscribe('agents.risk.call', (msg) => {
      void b.respond(msg, {
        ok: false,
        error: { code: 'VALIDATION_FAILED', message: 'qty < 0', retryable: false },
      });
    });
    const err = await failure(new NatsTransport({ bus: b, agent: 'risk' }).call(makeRequest(), ctx()));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("agent 'risk': qty < 0");
  });

  it('turns no listener into a retryable AGENT_UNAVAILABLE, and a silent one into TIMEOUT', async () => {
    const b = bus();
    const none = await failure(new NatsTransport({ bus: b, agent: 'ghost' }).call(makeRequest(), ctx()));
    expect(none.code).toBe('AGENT_UNAVAILABLE');
    expect(none.retryable).toBe(true);
    b.subscribe('agents.slow.call', () => undefined);
    const slow = await failure(
      new NatsTransport({ bus: b, agent: 'slow' }).call(makeRequest({ timeoutMs: 30 }), ctx()),
    );
    expect(slow.code).toBe('TIMEOUT');
  });

  it('stops waiting when the attempt is aborted, and refuses calls once closed', async () => {
    const b = bus();
    b.subscribe('agents.slow.call', () => undefined);
    const t = new NatsTransport({ bus: b, agent: 'slow' });
    const controller = new AbortController();
    const pending = failure(t.call(makeRequest(), callContext(controller.signal)));
    controller.abort();
    expect((await pending).code).toBe('CANCELLED');
    await t.close();
    expect((await failure(t.call(makeRequest(), ctx()))).code).toBe('AGENT_UNAVAILABLE');
  });
});

describe('RemoteAgentDirectory', () => {
  function setup() {
    const clock = new ManualClock(0);
    const b = bus();
    const registry = new AgentRegistry({
      clock,
      heartbeatIntervalMs: 100,
      timeoutThresholdMs: 300,
      errorThreshold: 5,
      errorWindowMs: 1000,
    });
    const ignored: string[] = [];
    const directory = new RemoteAgentDirectory({
      bus: b,
      registry,
      maxConnections: 7,
      onIgnored: (r) => ignored.push(r),
    });
    directory.start();
    registry.start();
    return { clock, b, registry, directory, ignored };
  }
  const announce = { name: 'momentum', capabilities: ['momentum.analyze'], instance: 'momentum-1' };

  it('registers an announced agent with a NATS transport, keeps it online on heartbeats, and takes it offline after', async () => {
    const { clock, b, registry } = setup();
    await b.publish(AGENT_SUBJECTS.register, announce);
    expect(registry.get('momentum')?.transport.kind).toBe('nats');
    expect(registry.get('momentum')?.maxConnections).toBe(7);
    for (let i = 0; i < 5; i++) {
      await clock.advance(100);
      await b.publish(AGENT_SUBJECTS.heartbeat('momentum'), announce);
    }
    expect(registry.get('momentum')?.status).toBe('running');
    await clock.advance(500);
    expect(registry.get('momentum')?.status).toBe('offline');
    await b.publish(AGENT_SUBJECTS.heartbeat('momentum'), announce);
    expect(registry.get('momentum')?.status).toBe('running');
    await registry.close();
  });

  it('learns of an agent from a heartbeat alone (an orchestrator started after the agent)', async () => {
    const { b, registry } = setup();
    await b.publish(AGENT_SUBJECTS.heartbeat('momentum'), { ...announce, concurrency: 3 });
    expect(registry.get('momentum')?.maxConnections).toBe(3);
    await registry.close();
  });

  it('ignores malformed announcements, spoofed heartbeats and names taken by local agents', async () => {
    const { b, registry, ignored } = setup();
    registry.register({
      name: 'risk',
      capabilities: ['risk.assess'],
      transport: new InprocTransport(() => 1),
    });
    await b.publish(AGENT_SUBJECTS.register, { name: 'bad name!', capabilities: [] });
    await b.publish(AGENT_SUBJECTS.heartbeat('other'), announce);
    await b.publish(AGENT_SUBJECTS.register, { ...announce, name: 'risk' });
    expect(ignored).toHaveLength(3);
    expect(ignored[0]).toMatch(/malformed/);
    expect(ignored[1]).toMatch(/another agent's subject/);
    expect(ignored[2]).toMatch(/taken by a local agent/);
    expect(registry.get('risk')?.transport.kind).toBe('inproc');
    expect(registry.get('momentum')).toBeUndefined();
    await registry.close();
  });
});

describe('startAgent', () => {
  it('validates its options, naming the field', async () => {
    const b = bus();
    const bad = (o: object) =>
      failure(startAgent({ name: 'x', capabilities: ['c'], handler: () => 1, bus: b, ...o }));
    expect((await bad({ capabilities: [] })).details['field']).toBe('capabilities');
    expect((await bad({ concurrency: 0 })).message).toMatch(/^concurrency: must be a positive integer/);
    expect((await bad({ heartbeatIntervalMs: -1 })).message).toMatch(/^heartbeatIntervalMs: .*milliseconds/);
  });

  it('announces itself, serves calls no more than `concurrency` at once, and replies with errors as codes', async () => {
    const b = bus();
    const announced: unknown[] = [];
    b.subscribe(AGENT_SUBJECTS.register, (m) => void announced.push(m.data));
    let running = 0;
    let peak = 0;
    const a = await startAgent({
      name: 'calc',
      capabilities: ['calc.add'],
      bus: b,
      concurrency: 2,
      handler: async (payload) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        if (payload['fail'] === true) throw new ConclaveError('VALIDATION_FAILED', 'bad input');
        return { sum: Number(payload['a']) + Number(payload['b']) };
      },
    });
    agents.push(a);
    expect(announced[0]).toMatchObject({
      name: 'calc',
      capabilities: ['calc.add'],
      instance: a.instance,
      concurrency: 2,
    });
    const t = new NatsTransport({ bus: b, agent: 'calc' });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => t.call(makeRequest({ payload: { a: i, b: 1 } }), ctx())),
    );
    expect(results).toEqual(Array.from({ length: 6 }, (_, i) => ({ sum: i + 1 })));
    expect(peak).toBe(2);
    const err = await failure(t.call(makeRequest({ payload: { fail: true } }), ctx()));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(a.handled).toBe(7);
  });

  it('also serves agents.cap.<capability>, shared by every agent with that capability', async () => {
    const b = bus();
    const a = await startAgent({
      name: 'm1',
      capabilities: ['momentum.analyze'],
      bus: b,
      handler: () => 'm1',
    });
    const c = await startAgent({
      name: 'm2',
      capabilities: ['momentum.analyze'],
      bus: b,
      handler: () => 'm2',
    });
    agents.push(a, c);
    const t = new NatsTransport({
      bus: b,
      agent: 'momentum-pool',
      subject: AGENT_SUBJECTS.capability('momentum.analyze'),
    });
    const got = await Promise.all(Array.from({ length: 20 }, () => t.call(makeRequest(), ctx())));
    expect(new Set(got)).toEqual(new Set(['m1', 'm2']));
    expect(a.handled + c.handled).toBe(20);
  });

  it('publishes enriched signals in the documents shape on signals.enriched.<name>', async () => {
    const b = bus();
    const got: { subject: string; data: unknown }[] = [];
    b.subscribe('signals.enriched.>', (m) => void got.push({ subject: m.subject, data: m.data }));
    const a = await startAgent({
      name: 'momentum',
      capabilities: ['momentum.analyze'],
      bus: b,
      handler: () => null,
      version: '2.0.0',
    });
    agents.push(a);
    await a.publishEnriched('corr-9', { confidence: 0.8 }, { instrument: 'MSFT' });
    expect(got[0]?.subject).toBe('signals.enriched.momentum');
    expect(got[0]?.data).toMatchObject({
      corr_id: 'corr-9',
      agent_name: 'momentum',
      agent_version: '2.0.0',
      analysis: { confidence: 0.8 },
      source_signal: { corr_id: 'corr-9', instrument: 'MSFT' },
    });
  });
});
