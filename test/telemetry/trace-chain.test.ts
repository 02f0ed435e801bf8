import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { describe, expect, it, vi } from 'vitest';
import { startAgent } from '../../src/agent-sdk/index.ts';
import type { HttpAgentRequestBody } from '../../src/agents/index.ts';
import { HEADER, type Bus, type BusMessage } from '../../src/bus/index.ts';
import type { NormalizedSignal } from '../../src/coordination/index.ts';
import { momentum, risk } from '../coordination/fixtures.ts';
import { makeTestServer, RULES } from '../server/helpers.ts';
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

/**
 * One trace from end to end: an HTTP command starts a workflow, whose step dispatches a task to an
 * agent reached over HTTP; that agent's work goes out on the signal stream, is analysed by agents
 * on the bus, and ends in the coordinator's decision.
 */

const { cleanups, start } = tracingPerTest();

const CORR_ID = 'c-discovered';

interface Received {
  headers: IncomingHttpHeaders;
  body: HttpAgentRequestBody;
}

/** The discovery supervisor: its URL, and where it connects to the signal stream. */
interface DiscoverySupervisor {
  url: string;
  connect(bus: Bus): void;
}

/**
 * The discovery supervisor, reached over HTTP: on `discovery.restart` it restarts discovery with the
 * strategy it is given and publishes the first candidate found on `signals.normalized`, in the
 * trace of the call it serves (the `traceparent` it received), then answers.
 */
async function discoverySupervisor(received: Received[]): Promise<DiscoverySupervisor> {
  let bus: Bus | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as HttpAgentRequestBody;
      received.push({ headers: req.headers, body });
      const strategy = String(body.payload['strategy']);
      const candidate: NormalizedSignal = {
        corr_id: CORR_ID,
        instrument: 'AAPL',
        timestamp: '2025-11-03T10:30:00.000Z',
        source: 'discovery',
        signal_type: 'candidate',
        payload: { strategy },
      };
      const headers: Record<string, string> = { [HEADER.corrId]: CORR_ID };
      const traceparent = req.headers['traceparent'];
      if (typeof traceparent === 'string') headers[HEADER.traceparent] = traceparent;
      if (bus === undefined) {
        res.writeHead(503).end('not connected to the signal stream');
        return;
      }
      bus.publish('signals.normalized', candidate, { headers }).then(
        () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ strategy })),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/discovery`,
    connect: (to) => (bus = to),
  };
}

/** The names of `span` and its ancestors, nearest first, and the id of the parent the walk ended at. */
function lineage(spans: ReadableSpan[], span: ReadableSpan): { names: string[]; root: string | undefined } {
  const byId = new Map(spans.map((s) => [idOf(s), s]));
  const names: string[] = [];
  let current: ReadableSpan | undefined = span;
  let root: string | undefined;
  while (current !== undefined) {
    names.push(current.name);
    root = parentOf(current);
    current = root === undefined ? undefined : byId.get(root);
  }
  return { names, root };
}

describe('one trace end to end', () => {
  it('follows POST /commands through the workflow, dispatch, an HTTP agent and the signal stream to the decision', async () => {
    const handle = await start(MEMORY);
    const received: Received[] = [];
    const supervisor = await discoverySupervisor(received);
    const t = await makeTestServer({
      config: {
        telemetry: { tracing: { enabled: true, exporter: 'memory' } },
        routing_rules: [
          ...RULES,
          // The discovery supervisor, declared as an HTTP agent.
          {
            pattern: 'discovery.restart',
            target_agent: 'discovery_supervisor',
            endpoint: supervisor.url,
            max_retries: 0,
          },
        ],
      },
      // The worker the command stops and brings back.
      agents: [{ name: 'discovery_worker', capabilities: ['candidate_discovery'], handler: () => ({}) }],
    });
    cleanups.push(() => t.close());
    const bus = t.conclave.bus;
    supervisor.connect(bus);
    // The analysts: SDK agents on the bus, enriching every normalized signal for the coordinator.
    for (const [name, analysis] of [
      ['momentum', momentum(0.9)],
      ['risk', risk('low')],
    ] as const) {
      const agent = await startAgent({
        name,
        capabilities: [`${name}.signal`],
        bus,
        handler: () => null,
        onSignal: () => analysis,
      });
      cleanups.push(() => agent.stop(0));
    }
    const decisions: BusMessage[] = [];
    bus.subscribe('orchestrated.decision', (msg) => void decisions.push(msg));

    const res = await t.app.inject({
      method: 'POST',
      url: '/commands/restart_discovery_system',
      headers: { traceparent: TRACEPARENT },
      payload: { parameters: { strategy: 'hybrid_v1' } },
    });
    expect(res.statusCode).toBe(202);
    const runId = res.json<{ workflow_id: string }>().workflow_id;
    expect((await t.conclave.workflows.wait(runId)).status).toBe('completed');
    await vi.waitFor(() => expect(decisions).toHaveLength(1));
    await vi.waitFor(() =>
      expect(handle.finishedSpans().map((s) => s.name)).toEqual(
        expect.arrayContaining(['POST /commands/:type', 'workflow.run', 'decision']),
      ),
    );

    const spans = handle.finishedSpans();
    // Every span of the request's work is in the caller's trace.
    for (const s of spans) expect(s.spanContext().traceId, s.name).toBe(TRACE_ID);
    const http = named(spans, 'POST /commands/:type');
    const run = named(spans, 'workflow.run');
    const step = spans.find(
      (s) =>
        s.name === 'workflow.step' && s.attributes['conclave.step_id'] === 'restarting_discovery_service',
    );
    const dispatch = named(spans, 'dispatch');
    const call = named(spans, 'agent.call');
    const enrich = spans.filter((s) => s.name === 'agent.enrich');
    const decision = named(spans, 'decision');

    expect(parentOf(http)).toBe(CALLER_SPAN);
    expect(parentOf(run)).toBe(idOf(http));
    expect(run.attributes).toMatchObject({ 'conclave.workflow_id': runId, 'conclave.status': 'completed' });
    expect(step).toBeDefined();
    expect(parentOf(step!)).toBe(idOf(run));
    expect(parentOf(dispatch)).toBe(idOf(step!));
    expect(dispatch.attributes).toMatchObject({ 'conclave.pattern': 'discovery.restart' });
    expect(parentOf(call)).toBe(idOf(dispatch));
    expect(call.attributes).toMatchObject({
      'conclave.agent': 'discovery_supervisor',
      'conclave.outcome': 'ok',
    });
    // The HTTP agent received its call span's context…
    expect(received).toHaveLength(1);
    expect(received[0]!.body.pattern).toBe('discovery.restart');
    expect(received[0]!.headers['traceparent']).toBe(`00-${TRACE_ID}-${idOf(call)}-01`);
    // …which its candidate carried on the bus to both analysts…
    expect(enrich.map((s) => s.attributes['conclave.agent']).sort()).toEqual(['momentum', 'risk']);
    for (const s of enrich) expect(parentOf(s)).toBe(idOf(call));
    // …whose enriched signals carried it on to the coordinator's decision.
    expect(enrich.map(idOf)).toContain(parentOf(decision));
    expect(decision.attributes).toMatchObject({ 'conclave.corr_id': CORR_ID, 'conclave.action': 'trade' });
    expect(decisions[0]!.headers['traceparent']).toBe(`00-${TRACE_ID}-${idOf(decision)}-01`);

    // One unbroken chain from the decision back to the HTTP caller.
    expect(lineage(spans, decision)).toEqual({
      names: [
        'decision',
        'agent.enrich',
        'agent.call',
        'dispatch',
        'workflow.step',
        'workflow.run',
        'POST /commands/:type',
      ],
      root: CALLER_SPAN,
    });
  });
});
