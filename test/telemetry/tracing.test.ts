import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { describe, expect, it, vi } from 'vitest';
import type { AgentRequest } from '../../src/agents/index.ts';
import { MemoryBus } from '../../src/bus/index.ts';
import { runInContext, startTraced, startTracing, tracingEnabled } from '../../src/telemetry/index.ts';
import { createConclave } from '../../src/conclave.ts';
import { loadConfig } from '../../src/core/config.ts';
import { openSqliteStore } from '../../src/store/index.ts';
import { executeStrategy, installTradingAgents, strategyFromTemplate } from '../../src/trading/index.ts';
import { makeHarness } from '../dispatch/harness.ts';
import { makeEngine } from '../workflow/harness.ts';
import { harness as coordinatorHarness, signal } from '../coordination/coordinator-harness.ts';
import { momentum, risk } from '../coordination/fixtures.ts';
import { makeTestServer } from '../server/helpers.ts';
import {
  CALLER_SPAN,
  idOf,
  MEMORY,
  named,
  parentOf,
  TRACE_ID,
  TRACEPARENT,
  tracingPerTest,
} from './tracing-support.ts';

const { cleanups, start } = tracingPerTest();

describe('tracing', () => {
  it('follows POST /orchestrate through dispatch to the agent call in one trace', async () => {
    const handle = await start(MEMORY);
    const seen: AgentRequest[] = [];
    const t = await makeTestServer({
      config: { telemetry: { tracing: { enabled: true, exporter: 'memory' } } },
      agents: [{ name: 'tracer', capabilities: ['trace.me'], handler: (req) => (seen.push(req), { ok: 1 }) }],
    });
    cleanups.push(() => t.close());
    const res = await t.app.inject({
      method: 'POST',
      url: '/orchestrate',
      headers: { traceparent: TRACEPARENT },
      payload: { pattern: 'trace.me', payload: {}, corr_id: 'c-http' },
    });
    expect(res.statusCode).toBe(202);
    const taskId = res.json<{ task_id: string }>().task_id;
    expect((await t.conclave.dispatcher.wait(taskId)).status).toBe('completed');
    await vi.waitFor(() => expect(handle.finishedSpans().map((s) => s.name)).toContain('POST /orchestrate'));

    const spans = handle.finishedSpans();
    const http = named(spans, 'POST /orchestrate');
    const dispatch = named(spans, 'dispatch');
    const call = named(spans, 'agent.call');
    for (const s of [http, dispatch, call]) expect(s.spanContext().traceId).toBe(TRACE_ID);
    expect(parentOf(http)).toBe(CALLER_SPAN);
    expect(http.attributes).toMatchObject({ 'http.route': '/orchestrate', 'http.response.status_code': 202 });
    expect(parentOf(dispatch)).toBe(idOf(http));
    expect(dispatch.attributes).toMatchObject({
      'conclave.task_id': taskId,
      'conclave.pattern': 'trace.me',
      'conclave.corr_id': 'c-http',
      'conclave.status': 'completed',
    });
    expect(parentOf(call)).toBe(idOf(dispatch));
    expect(call.attributes).toMatchObject({
      'conclave.agent': 'tracer',
      'conclave.attempt': 1,
      'conclave.outcome': 'ok',
    });
    // The agent got the W3C context of its own call span.
    expect(seen[0]?.headers['traceparent']).toBe(`00-${TRACE_ID}-${idOf(call)}-01`);
  });

  it('nests a task step’s dispatch span in the workflow step span, under the run span', async () => {
    const handle = await start(MEMORY);
    const h = await makeEngine();
    cleanups.push(() => h.close());
    const seen: AgentRequest[] = [];
    h.agent('momentum', ['momentum.analyze'], (req) => (seen.push(req), { score: 1 }));
    h.engine.register({
      name: 'traced',
      steps: [{ id: 'score', kind: 'task', pattern: 'momentum.analyze', payload: {} }],
    });
    const run = await h.finish(await h.engine.start('traced'));
    expect(run.status).toBe('completed');

    const spans = handle.finishedSpans();
    const runSpan = named(spans, 'workflow.run');
    const step = named(spans, 'workflow.step');
    const dispatch = named(spans, 'dispatch');
    const call = named(spans, 'agent.call');
    expect(runSpan.attributes).toMatchObject({
      'conclave.workflow_id': run.id,
      'conclave.status': 'completed',
    });
    expect(step.attributes).toMatchObject({
      'conclave.workflow_id': run.id,
      'conclave.step_id': 'score',
      'conclave.attempt': 1,
    });
    expect(parentOf(step)).toBe(idOf(runSpan));
    expect(parentOf(dispatch)).toBe(idOf(step));
    expect(parentOf(call)).toBe(idOf(dispatch));
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(seen[0]?.headers['traceparent']).toContain(idOf(call));
  });

  it('puts each decision of the planner’s trading.decide step in a decision span under that step', async () => {
    const handle = await start(MEMORY);
    const config = loadConfig({ path: '/dev/null', env: {}, overrides: { log: { level: 'silent' } } });
    const conclave = await createConclave(config, { store: await openSqliteStore({ path: ':memory:' }) });
    cleanups.push(() => conclave.close(0));
    installTradingAgents(conclave);
    await conclave.start();
    const strategy = strategyFromTemplate('momentum', {
      strategy_id: 'spx_momentum',
      name: 'SPX momentum',
      symbols: ['SPX'],
    });
    // Late 2003: strong momentum in the S&P 500, so the decision is a trade.
    const result = await executeStrategy(conclave, strategy, { asOf: '2003-12-31' });
    expect(result.decisions).toHaveLength(1);
    const made = result.decisions[0]!;

    const spans = handle.finishedSpans();
    const decision = named(spans, 'decision');
    const step = spans.find(
      (s) => s.name === 'workflow.step' && s.attributes['conclave.step_id'] === 'decide',
    );
    expect(step).toBeDefined();
    expect(step!.attributes).toMatchObject({
      'conclave.workflow_id': result.run_id,
      'conclave.step_kind': 'builtin',
    });
    expect(parentOf(decision)).toBe(idOf(step!));
    expect(decision.spanContext().traceId).toBe(step!.spanContext().traceId);
    expect(decision.attributes).toMatchObject({
      'conclave.corr_id': made.corr_id,
      'conclave.strategy_id': 'spx_momentum',
      'conclave.action': 'trade',
      'conclave.policy': 'rule_based',
      'conclave.partial': false,
    });
    expect(made.action).toBe('trade');
    expect(decision.attributes['conclave.latency_ms']).toEqual(expect.any(Number));
  });

  it('continues the trace of an enriched signal’s bus headers in a decision span carrying corr_id', async () => {
    const handle = await start(MEMORY);
    const h = await coordinatorHarness();
    cleanups.push(() => h.close());
    await h.coordinator.start();
    const momentumSpan = '1111111111111111';
    const riskSpan = '2222222222222222';
    const headers = (span: string) => ({
      traceparent: `00-${TRACE_ID}-${span}-01`,
      'conclave-corr-id': 'c-sig',
    });
    await h.bus.publish('signals.enriched.momentum', signal('c-sig', 'momentum', momentum(0.9)), {
      headers: headers(momentumSpan),
    });
    await h.bus.publish('signals.enriched.risk', signal('c-sig', 'risk', risk('low')), {
      headers: headers(riskSpan),
    });
    await vi.waitFor(() => expect(handle.finishedSpans().map((s) => s.name)).toContain('decision'));

    const decision = named(handle.finishedSpans(), 'decision');
    expect(decision.spanContext().traceId).toBe(TRACE_ID);
    expect(parentOf(decision)).toBe(riskSpan); // the signal that completed the join
    expect(decision.attributes).toMatchObject({
      'conclave.corr_id': 'c-sig',
      'conclave.action': 'trade',
      'conclave.partial': false,
    });
    expect(decision.attributes['conclave.policy']).toEqual(expect.any(String));
    expect(decision.attributes['conclave.latency_ms']).toEqual(expect.any(Number));
    // Every publish of the decision and its fan-out continues the decision span.
    const out = h.messages.filter(
      (m) => !m.subject.startsWith('signals.') && m.headers['conclave-corr-id'] === 'c-sig',
    );
    expect(out.map((m) => m.subject)).toContain('orchestrated.decision');
    expect(out.length).toBeGreaterThan(2);
    for (const m of out) expect(m.headers['traceparent']).toBe(`00-${TRACE_ID}-${idOf(decision)}-01`);
  });

  it('delivers in-process bus messages outside their publisher’s trace, so only headers carry it', async () => {
    await start(MEMORY);
    const bus = new MemoryBus();
    cleanups.push(() => bus.close());
    await bus.ensureStream({ name: 'CTX', subjects: ['ctx.>'] });
    const active: string[] = [];
    const record = (via: string, data: unknown): void => {
      active.push(`${via}:${String(data)}:${trace.getActiveSpan()?.spanContext().spanId ?? 'none'}`);
    };
    bus.subscribe('ctx.>', (msg) => record('subscribe', msg.data));
    await bus.consume({ stream: 'CTX', durable: 'ctx', ackWaitMs: 5_000, maxDeliver: 1 }, (msg) => {
      record('consume', msg.data);
      msg.ack();
    });
    // Published in one tick from two traces: one delivery task serves both.
    const first = startTraced('first', {});
    const second = startTraced('second', {});
    await Promise.all([
      runInContext(first.context, () => bus.publish('ctx.a', 'a')),
      runInContext(second.context, () => bus.publish('ctx.b', 'b')),
    ]);
    await vi.waitFor(() => expect(active).toHaveLength(4));
    expect(active.sort()).toEqual([
      'consume:a:none',
      'consume:b:none',
      'subscribe:a:none',
      'subscribe:b:none',
    ]);
  });

  it('adds no spans and no headers when disabled', async () => {
    const disabled = await startTracing({ ...MEMORY, enabled: false });
    expect(disabled.enabled).toBe(false);
    expect(tracingEnabled()).toBe(false);
    const h = await makeHarness();
    cleanups.push(() => h.close());
    const seen: { headers: Record<string, string>; active: unknown }[] = [];
    h.agent('a', ['cap'], (req) => (seen.push({ headers: req.headers, active: trace.getActiveSpan() }), 1));
    const traced = startTraced('caller', {}); // the API's no-op tracer: nothing recorded
    expect(traced.span.isRecording()).toBe(false);
    await h.dispatcher.submit({ pattern: 'cap', payload: {}, corrId: 'c-off' });
    await h.dispatcher.submit({ pattern: 'cap', payload: {} });
    await vi.waitFor(() => expect(seen).toHaveLength(2));
    expect(seen[0]).toEqual({ headers: { 'conclave-corr-id': 'c-off' }, active: undefined });
    expect(seen[1]).toEqual({ headers: {}, active: undefined });
    expect(disabled.finishedSpans()).toEqual([]);
  });

  it('is started by createConclave from config and stopped by close', async () => {
    const t = await makeTestServer({
      config: { telemetry: { tracing: { enabled: true, exporter: 'memory' } } },
    });
    expect(tracingEnabled()).toBe(true);
    await t.close();
    expect(tracingEnabled()).toBe(false);
  });

  it('exports spans over OTLP/HTTP to the configured endpoint', async () => {
    const received: { method: string; url: string; type: string; bytes: number }[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => (bytes += chunk.length));
      req.on('end', () => {
        received.push({
          method: req.method ?? '',
          url: req.url ?? '',
          type: req.headers['content-type'] ?? '',
          bytes,
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    const handle = await start({
      ...MEMORY,
      exporter: 'otlp',
      endpoint: `http://127.0.0.1:${port}/v1/traces`,
    });
    const { span } = startTraced('exported', { 'conclave.corr_id': 'c-otlp' });
    span.end();
    await handle.forceFlush();
    await vi.waitFor(() => expect(received).toHaveLength(1));
    expect(received[0]).toMatchObject({ method: 'POST', url: '/v1/traces' });
    expect(received[0]!.bytes).toBeGreaterThan(0);
  });
});
