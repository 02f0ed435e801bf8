import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { describe, expect, it, vi } from 'vitest';
import { startAgent, type AgentSignalHandler, type RemoteAgent } from '../../src/agent-sdk/index.ts';
import { NatsTransport, callContext } from '../../src/agents/index.ts';
import { MemoryBus, type Bus, type BusMessage } from '../../src/bus/index.ts';
import { tracingEnabled } from '../../src/telemetry/index.ts';
import { makeRequest } from '../agents/helpers.ts';
import { makeTestServer } from '../server/helpers.ts';
import {
  CALLER_SPAN,
  idOf,
  MEMORY,
  named,
  TRACE_ID,
  TRACEPARENT,
  tracingPerTest,
} from './tracing-support.ts';

/** Trace context across the signal stream: webhook intake → SDK agent → enriched signal. */

const WEBHOOK = { instrument: 'aapl', source: 'tradingview', signal_type: 'alert', payload: { side: 'buy' } };

const { cleanups, start } = tracingPerTest();

const traceparentOf = (span: ReadableSpan): string => `00-${TRACE_ID}-${idOf(span)}-01`;

/** Every message published on `subject`, as delivered. */
function collect(bus: Bus, subject: string): BusMessage[] {
  const seen: BusMessage[] = [];
  bus.subscribe(subject, (msg) => void seen.push(msg));
  return seen;
}

const sentiment: AgentSignalHandler = (signal) => ({ score: 0.4, instrument: signal.instrument });

async function sdkAgent(bus: Bus, onSignal: AgentSignalHandler = sentiment): Promise<RemoteAgent> {
  const agent = await startAgent({
    name: 'sentiment',
    capabilities: ['sentiment.analyze'],
    bus,
    handler: async (payload, ctx) => {
      if (ctx.corrId !== null) await ctx.publishEnriched(ctx.corrId, { score: 0.1 });
      return payload;
    },
    onSignal,
  });
  cleanups.push(() => agent.stop(0));
  return agent;
}

function memoryBus(): MemoryBus {
  const bus = new MemoryBus();
  cleanups.push(() => bus.close());
  return bus;
}

/**
 * A server (with tracing on or off) and an SDK agent on its bus; POSTs the webhook with the
 * caller's traceparent and waits for the agent's enriched signal.
 */
async function webhookThroughAgent(
  traced: boolean,
  corrId: string,
): Promise<{ normalized: BusMessage[]; enriched: BusMessage[] }> {
  const t = await makeTestServer(
    traced ? { config: { telemetry: { tracing: { enabled: true, exporter: 'memory' } } } } : {},
  );
  cleanups.push(() => t.close());
  const normalized = collect(t.conclave.bus, 'signals.normalized');
  const enriched = collect(t.conclave.bus, 'signals.enriched.sentiment');
  await sdkAgent(t.conclave.bus);
  const res = await t.app.inject({
    method: 'POST',
    url: '/signals',
    headers: { traceparent: TRACEPARENT },
    payload: { ...WEBHOOK, corr_id: corrId },
  });
  expect(res.statusCode).toBe(202);
  await vi.waitFor(() => expect(enriched).toHaveLength(1));
  return { normalized, enriched };
}

describe('trace context on the signal stream', () => {
  it('carries one trace id from POST /signals through the normalized message and an SDK agent to its enriched signal', async () => {
    const handle = await start(MEMORY);
    const { normalized, enriched } = await webhookThroughAgent(true, 'c-flow');
    await vi.waitFor(() =>
      expect(handle.finishedSpans().map((s) => s.name)).toEqual(
        expect.arrayContaining(['POST /signals', 'agent.enrich']),
      ),
    );

    const spans = handle.finishedSpans();
    const http = named(spans, 'POST /signals');
    const work = named(spans, 'agent.enrich');
    expect(http.spanContext().traceId).toBe(TRACE_ID);
    expect(http.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    // The normalized message continues the request's span…
    expect(normalized).toHaveLength(1);
    expect(normalized[0]!.headers).toMatchObject({
      'conclave-corr-id': 'c-flow',
      traceparent: traceparentOf(http),
    });
    // …the agent's work is its child, tagged with the correlation…
    expect(work.spanContext().traceId).toBe(TRACE_ID);
    expect(work.parentSpanContext?.spanId).toBe(idOf(http));
    expect(work.attributes).toMatchObject({ 'conclave.agent': 'sentiment', 'conclave.corr_id': 'c-flow' });
    // …and the enriched signal continues the agent's span, for the coordinator's decision span.
    expect(enriched[0]!.headers).toMatchObject({
      'conclave-corr-id': 'c-flow',
      traceparent: traceparentOf(work),
    });
    expect(enriched[0]!.data).toMatchObject({
      corr_id: 'c-flow',
      agent_name: 'sentiment',
      analysis: { score: 0.4, instrument: 'AAPL' },
      source_signal: { corr_id: 'c-flow', instrument: 'AAPL', signal_type: 'alert' },
    });
  });

  it('continues the trace named by a normalized message’s own headers, whatever context delivers it', async () => {
    const handle = await start(MEMORY);
    const bus = memoryBus();
    const enriched = collect(bus, 'signals.enriched.sentiment');
    const agent = await sdkAgent(bus);
    const signal = {
      corr_id: 'c-hdr',
      instrument: 'MSFT',
      timestamp: '2024-01-02T00:00:00.000Z',
      source: 'feed',
      payload: {},
    };
    // Published outside any span: only the header can put the agent in the caller's trace.
    await bus.publish('signals.normalized', signal, { headers: { traceparent: TRACEPARENT } });
    await vi.waitFor(() => expect(enriched).toHaveLength(1));

    const work = named(handle.finishedSpans(), 'agent.enrich');
    expect(work.spanContext().traceId).toBe(TRACE_ID);
    expect(work.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(enriched[0]!.headers['traceparent']).toBe(traceparentOf(work));
    expect(agent.signalsHandled).toBe(1);
  });

  it('marks the agent span as failed and publishes nothing when the signal handler throws', async () => {
    const handle = await start(MEMORY);
    const bus = memoryBus();
    const enriched = collect(bus, 'signals.enriched.sentiment');
    const errors: unknown[] = [];
    const agent = await startAgent({
      name: 'sentiment',
      capabilities: ['sentiment.analyze'],
      bus,
      handler: () => null,
      onSignal: () => {
        throw new Error('no model loaded');
      },
      onSignalError: (err) => errors.push(err),
    });
    cleanups.push(() => agent.stop(0));
    const signal = {
      corr_id: 'c-bad',
      instrument: 'IBM',
      timestamp: '2024-01-02T00:00:00.000Z',
      source: 'feed',
      payload: {},
    };
    await bus.publish('signals.normalized', signal, { headers: { traceparent: TRACEPARENT } });
    await vi.waitFor(() => expect(agent.signalsHandled).toBe(1));

    const work = named(handle.finishedSpans(), 'agent.enrich');
    expect(work.status).toMatchObject({ code: 2, message: 'no model loaded' }); // SpanStatusCode.ERROR
    expect(errors).toEqual([expect.objectContaining({ message: 'no model loaded' })]);
    expect(enriched).toEqual([]);
  });

  it('runs an SDK task in the call’s trace, so its enriched publish continues it', async () => {
    const handle = await start(MEMORY);
    const bus = memoryBus();
    const enriched = collect(bus, 'signals.enriched.sentiment');
    await sdkAgent(bus);
    const transport = new NatsTransport({ bus, agent: 'sentiment' });
    const request = makeRequest({ corrId: 'c-task', headers: { traceparent: TRACEPARENT } });
    await transport.call(request, callContext(new AbortController().signal));
    await vi.waitFor(() => expect(enriched).toHaveLength(1));

    const task = named(handle.finishedSpans(), 'agent.task');
    expect(task.spanContext().traceId).toBe(TRACE_ID);
    expect(task.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(task.attributes).toMatchObject({
      'conclave.agent': 'sentiment',
      'conclave.task_id': request.taskId,
      'conclave.corr_id': 'c-task',
      'conclave.attempt': 1,
    });
    expect(enriched[0]!.headers['traceparent']).toBe(traceparentOf(task));
  });

  it('adds no trace headers anywhere on the stream when tracing is off', async () => {
    expect(tracingEnabled()).toBe(false);
    const { normalized, enriched } = await webhookThroughAgent(false, 'c-off');
    for (const msg of [normalized[0]!, enriched[0]!]) {
      expect(msg.headers['conclave-corr-id']).toBe('c-off');
      expect(Object.keys(msg.headers).filter((k) => k.startsWith('trace'))).toEqual([]);
    }
  });
});
