import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type RemoteAgent } from '../../src/agent-sdk/index.ts';
import { NatsBus, type BusMessage } from '../../src/bus/index.ts';
import { createConclave, type Conclave } from '../../src/conclave.ts';
import type { Decision } from '../../src/coordination/index.ts';
import { isConclaveError } from '../../src/core/errors.ts';
import { requireService, suiteName } from '../support/services.ts';
import { momentum, risk } from '../coordination/fixtures.ts';
import { PrivateNats, REDIS_URL, capturingLogger, configOf, pause, pingRedis, waitFor } from './support.ts';

let nats: PrivateNats | undefined;
const natsStatus = await requireService('NATS (a private nats-server -js)', async () => {
  nats = await PrivateNats.start();
});
const redisStatus = await requireService(`Redis at ${REDIS_URL}`, () => pingRedis(REDIS_URL));
const ready = natsStatus.available && redisStatus.available;
const dir = mkdtempSync(join(tmpdir(), 'conclave-dist-'));

afterAll(async () => {
  await nats?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!ready)(
  suiteName(
    'distributed shape: NATS + Redis + SQLite',
    ready
      ? natsStatus
      : { available: false, reason: natsStatus.reason ?? redisStatus.reason ?? 'unavailable' },
  ),
  () => {
    let conclave: Conclave;
    const agents: RemoteAgent[] = [];
    const logs = capturingLogger();

    beforeAll(async () => {
      const url = (nats as PrivateNats).url;
      conclave = await createConclave(
        configOf({
          bus: { driver: 'nats', nats: { servers: [url], reconnect_wait_ms: 100, publish_timeout_ms: 1000 } },
          state: { driver: 'redis', redis: { url: REDIS_URL, key_prefix: `test-${randomUUID()}:` } },
          store: { driver: 'sqlite', sqlite_path: join(dir, 'conclave.db') },
          agents: { heartbeat_interval_seconds: 0.05, timeout_threshold_seconds: 0.4 },
          dispatcher: { error_recovery: { retry_delay_seconds: 0.01, jitter: 0 } },
        }),
        { logger: logs.logger },
      );
      await conclave.start();
    });

    afterEach(async () => {
      await Promise.all(agents.splice(0).map((a) => a.stop(100)));
    });

    afterAll(async () => {
      await conclave?.close(1_000);
    });

    async function agent(
      name: string,
      capability: string,
      handler = (p: Record<string, unknown>) => p,
    ): Promise<RemoteAgent> {
      const a = await startAgent({
        name,
        capabilities: [capability],
        servers: (nats as PrivateNats).url,
        heartbeatIntervalMs: 50,
        handler,
      });
      agents.push(a);
      return a;
    }

    it('ensures the configured streams and reports every dependency up', async () => {
      const report = await conclave.dependencies();
      expect(report.ok).toBe(true);
      expect(report.dependencies.map((d) => `${d.name}:${d.driver}:${d.status}`)).toEqual([
        'bus:nats:up',
        'state:redis:up',
        'store:sqlite:up',
      ]);
      const bus = conclave.bus as NatsBus;
      // A stream captures execution.*: publishing there is stored, so a durable sees it later.
      await bus.publish('execution.order', { probe: true });
      const seen: unknown[] = [];
      const sub = await bus.consume(
        {
          stream: 'EXECUTION',
          durable: `probe-${randomUUID().slice(0, 8)}`,
          ackWaitMs: 1_000,
          maxDeliver: 1,
        },
        (m) => {
          seen.push(m.data);
          m.ack();
        },
      );
      await waitFor(() => seen.length > 0, 'the stored execution message');
      await sub.unsubscribe();
      expect(seen[0]).toEqual({ probe: true });
    });

    it('runs a task through a remote agent registered over NATS, carrying corr id and trace headers', async () => {
      await agent('echo', 'echo.run', (payload) => ({ got: payload }));
      await waitFor(() => conclave.registry.get('echo') !== undefined, 'echo to register');
      expect(conclave.registry.get('echo')?.transport.kind).toBe('nats');
      const logged = logs.lines
        .flatMap((chunk) => chunk.split('\n').filter(Boolean))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(logged).toContainEqual(
        expect.objectContaining({ level: 'info', event: 'remote_agent_registered', agent: 'echo' }),
      );
      const seen: Record<string, string>[] = [];
      const traced = await startAgent({
        name: 'traced',
        capabilities: ['traced.run'],
        servers: (nats as PrivateNats).url,
        heartbeatIntervalMs: 50,
        handler: (_p, ctx) => {
          seen.push({ ...ctx.headers });
          return { corr: ctx.corrId, attempt: ctx.attempt };
        },
      });
      agents.push(traced);
      await waitFor(() => conclave.registry.get('traced') !== undefined, 'traced to register');
      const task = await conclave.dispatcher.run({ pattern: 'echo.run', payload: { n: 1 } });
      expect(task.status).toBe('completed');
      expect(task.result).toEqual({ got: { n: 1 } });
      const t2 = await conclave.dispatcher.run({ pattern: 'traced.run', payload: {}, corrId: 'corr-xyz' });
      expect(t2.result).toEqual({ corr: 'corr-xyz', attempt: 1 });
      expect(seen[0]?.['conclave-corr-id']).toBe('corr-xyz');
      expect(seen[0]?.['conclave-idempotency-key']).toBeTruthy();
    });

    it('shares the load between two copies of one agent', async () => {
      const a = await agent('worker', 'work.do', (p) => ({ ...p, by: 'a' }));
      const b = await agent('worker', 'work.do', (p) => ({ ...p, by: 'b' }));
      await waitFor(() => conclave.registry.get('worker') !== undefined, 'worker to register');
      const tasks = await Promise.all(
        Array.from({ length: 40 }, (_, i) => conclave.dispatcher.run({ pattern: 'work.do', payload: { i } })),
      );
      expect(tasks.every((t) => t.status === 'completed')).toBe(true);
      expect(a.handled + b.handled).toBe(40);
      expect(a.handled).toBeGreaterThan(0);
      expect(b.handled).toBeGreaterThan(0);
    });

    it('takes a stopped agent offline once its heartbeats stop', async () => {
      const solo = await agent('solo', 'solo.run');
      await waitFor(() => conclave.registry.get('solo')?.status === 'running', 'solo to run');
      await pause(300); // heartbeats keep it online past the threshold's start
      expect(conclave.registry.get('solo')?.status).toBe('running');
      await solo.stop(0);
      await waitFor(() => conclave.registry.get('solo')?.status === 'offline', 'solo to go offline', 3_000);
      expect(conclave.registry.get('solo')?.statusReason).toMatch(/no heartbeat/);
    });

    it('turns enriched signals published by remote agents into one decision', async () => {
      const m = await agent('momentum', 'momentum.analyze');
      const r = await agent('risk', 'risk.assess');
      const corrId = `corr-${randomUUID()}`;
      const watcher = await NatsBus.connect({ servers: (nats as PrivateNats).url, name: 'test-watcher' });
      const published: BusMessage[] = [];
      watcher.subscribe('orchestrated.decision', (msg) => void published.push(msg));
      const decided = new Promise<Decision>((resolve) => {
        const off = conclave.coordinator.on('decision', (_type, _ms, d) => {
          if (d.corr_id !== corrId) return;
          off();
          resolve(d);
        });
      });
      await m.publishEnriched(corrId, momentum(0.9), { instrument: 'AAPL' });
      await r.publishEnriched(corrId, risk('low'), { instrument: 'AAPL' });
      const decision = await decided;
      expect(decision.corr_id).toBe(corrId);
      expect([...decision.contributing_agents].sort()).toEqual(['momentum', 'risk']);
      await waitFor(
        () => published.some((p) => (p.data as Decision).corr_id === corrId),
        'the decision on NATS',
      );
      await watcher.close();
    });

    it('refuses intake with BUS_ERROR and reports the bus down while NATS is unreachable, and recovers', async () => {
      const server = nats as PrivateNats;
      await server.stop();
      await waitFor(async () => !(await conclave.dependencies()).ok, 'the bus to be reported down');
      const bus = (await conclave.dependencies()).dependencies.find((d) => d.name === 'bus');
      expect(bus?.status).toBe('down');
      expect(bus?.reason).toMatch(/NATS/);
      const refused = await conclave.dispatcher
        .submit({ pattern: 'work.do', payload: {} })
        .catch((e: unknown) => e);
      expect(isConclaveError(refused) && refused.code).toBe('BUS_ERROR');
      expect(isConclaveError(refused) && refused.message).toMatch(/intake refused: NATS/);
      expect(await conclave.metrics.text()).toMatch(/conclave_bus_connected 0/);
      await server.start();
      await waitFor(async () => (await conclave.dependencies()).ok, 'the bus to come back', 10_000);
      expect(await conclave.metrics.text()).toMatch(/conclave_bus_connected 1/);
    });
  },
);
