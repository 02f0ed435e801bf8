import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConclave } from '../src/conclave.ts';
import { loadConfig } from '../src/core/config.ts';
import { openSqliteStore } from '../src/store/index.ts';
import { enriched, momentum, risk } from './coordination/fixtures.ts';
import { captureLogs } from './support/logs.ts';

let server: Server;
let url = '';
const received: { body: Record<string, unknown>; headers: IncomingMessage['headers'] }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(data) as Record<string, unknown>;
      received.push({ body, headers: req.headers });
      const payload = body['payload'] as { file?: string };
      if (payload.file === 'broken.pdf') {
        res.writeHead(422, { 'content-type': 'application/json' }).end('{"detail":"not a PDF"}');
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ pages: 10, file: payload.file }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('createConclave', () => {
  it('registers the HTTP agents that routing rules name with an endpoint, and routes tasks to them', async () => {
    const config = loadConfig({
      path: '/dev/null',
      env: {},
      overrides: {
        log: { level: 'silent' },
        routing_rules: [
          {
            pattern: 'upload_pdf',
            target_agent: 'content_ingestion_agent',
            endpoint: url,
            timeout: 5,
            priority: 2,
          },
        ],
      },
    });
    const conclave = await createConclave(config, { store: await openSqliteStore({ path: ':memory:' }) });
    try {
      await conclave.start();
      const agent = conclave.registry.get('content_ingestion_agent');
      expect(agent?.transport.kind).toBe('http');
      const ok = await conclave.dispatcher.run({
        pattern: 'upload_pdf',
        payload: { file: 'doc.pdf' },
        corrId: 'corr-7',
      });
      expect(ok).toMatchObject({
        status: 'completed',
        agent: 'content_ingestion_agent',
        priority: 2,
        timeoutMs: 5000,
      });
      expect(ok.result).toEqual({ pages: 10, file: 'doc.pdf' });
      const call = received.at(-1)!;
      expect(call.body).toMatchObject({
        task_id: ok.id,
        pattern: 'upload_pdf',
        payload: { file: 'doc.pdf' },
      });
      expect(call.headers['idempotency-key']).toBe(ok.id);
      expect(call.headers['conclave-corr-id']).toBe('corr-7');
      // A 4xx from the agent is final: no retries, status failed.
      const bad = await conclave.dispatcher.run({ pattern: 'upload_pdf', payload: { file: 'broken.pdf' } });
      expect(bad.status).toBe('failed');
      expect(bad.attempts).toBe(1);
      expect(bad.error?.message).toContain('422');
    } finally {
      await conclave.close(0);
    }
  });

  it('reports system status in the shape of the AMC document', async () => {
    const config = loadConfig({ path: '/dev/null', env: {}, overrides: { log: { level: 'silent' } } });
    const conclave = await createConclave(config, { store: await openSqliteStore({ path: ':memory:' }) });
    try {
      conclave.registerInprocAgent({
        name: 'risk',
        capabilities: ['risk.assess'],
        handler: () => ({ ok: 1 }),
      });
      conclave.registerInprocAgent({
        name: 'hold',
        capabilities: ['hold'],
        handler: () => new Promise(() => undefined),
      });
      await conclave.start();
      conclave.registry.disable('risk', 'maintenance');
      await conclave.dispatcher.submit({ pattern: 'hold', payload: {} });
      await new Promise((r) => setImmediate(r));
      conclave.dispatcher.halt({ patterns: ['execute_order'] }, 'drill');
      const status = conclave.getSystemStatus();
      expect(status.system_metrics).toEqual({
        running_agents: 2, // the built-in delivery agent and the test's hold agent
        error_agents: 0,
        offline_agents: 0,
        disabled_agents: 1,
        total_agents: 3,
      });
      expect(status.in_flight_tasks).toBe(1);
      expect(status.message_queue_size).toBe(0);
      expect(status.active_workflows).toBe(0);
      expect(status.halts).toHaveLength(1);
      expect(status.halts[0]!.reason).toBe('drill');
    } finally {
      await conclave.close(0);
    }
  });

  it('joins enriched signals from the bus into a decision, with the metrics the documents name', async () => {
    const config = loadConfig({ path: '/dev/null', env: {}, overrides: { log: { level: 'silent' } } });
    const { logger, lines } = captureLogs('info');
    const conclave = await createConclave(config, {
      store: await openSqliteStore({ path: ':memory:' }),
      logger,
    });
    try {
      await conclave.start();
      const decisions: Record<string, unknown>[] = [];
      conclave.bus.subscribe(
        'orchestrated.decision',
        (m) => void decisions.push(m.data as Record<string, unknown>),
      );
      await conclave.bus.publish('signals.enriched.momentum', enriched('momentum', momentum(0.85)));
      await conclave.bus.publish('signals.enriched.risk', enriched('risk', risk('low', 100)));
      for (let i = 0; i < 50 && decisions.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(decisions).toHaveLength(1);
      expect(decisions[0]).toMatchObject({
        corr_id: 'req_abc123',
        action: 'trade',
        direction: 'up',
        size: 100,
      });
      // The audit entry is appended after the decision is published (with the other sinks).
      let kinds: string[] = [];
      for (let i = 0; i < 50 && !kinds.includes('decision'); i++) {
        await new Promise((r) => setTimeout(r, 10));
        kinds = (await conclave.store.audit.list({ corrId: 'req_abc123' })).map((a) => a.kind);
      }
      expect(kinds).toContain('decision');
      const text = await conclave.metrics.text();
      expect(text).toContain('orchestrator_signals_received_total{agent="momentum"} 1');
      expect(text).toContain('orchestrator_decisions_made_total{type="trade"} 1');
      expect(text).toMatch(/orchestrator_state_operations_total\{operation="join"\} 2/);
      expect(text).toContain('orchestrator_decision_latency_seconds_count 1');
      // The corr_id travels into the log line of the decision.
      expect(lines.find((l) => l['event'] === 'decision')).toMatchObject({
        corr_id: 'req_abc123',
        action: 'trade',
        route: 'default',
      });
    } finally {
      await conclave.close(0);
    }
  });
});
