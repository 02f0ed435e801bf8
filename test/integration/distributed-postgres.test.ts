import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { startAgent } from '../../src/agent-sdk/index.ts';
import { createConclave } from '../../src/conclave.ts';
import { probePostgres, postgresSchemas } from '../support/postgres.ts';
import { requireService, suiteName } from '../support/services.ts';
import { PrivateNats, REDIS_URL, capturingLogger, configOf, pingRedis, waitFor } from './support.ts';

/** The whole distributed trio: NATS JetStream, Redis state, PostgreSQL records. */
let nats: PrivateNats | undefined;
const natsStatus = await requireService('NATS (a private nats-server -js)', async () => {
  nats = await PrivateNats.start();
});
const redisStatus = await requireService(`Redis at ${REDIS_URL}`, () => pingRedis(REDIS_URL));
const pgStatus = await probePostgres();
const missing = [natsStatus, redisStatus, pgStatus].find((s) => !s.available);
const schemas = postgresSchemas('dist');

afterAll(async () => {
  await schemas.dropSchemas();
  await nats?.dispose();
});

describe.skipIf(missing !== undefined)(
  suiteName('distributed shape on NATS + Redis + PostgreSQL', missing ?? { available: true }),
  () => {
    it('runs a task through a remote agent and records it in PostgreSQL', async () => {
      const url = (nats as PrivateNats).url;
      const store = await schemas.open();
      const conclave = await createConclave(
        configOf({
          bus: { driver: 'nats', nats: { servers: [url] } },
          state: { driver: 'redis', redis: { url: REDIS_URL, key_prefix: `test-${randomUUID()}:` } },
          store: { driver: 'postgres' },
        }),
        { store, logger: capturingLogger().logger },
      );
      const agent = await startAgent({
        name: 'pricer',
        capabilities: ['price.quote'],
        servers: url,
        heartbeatIntervalMs: 100,
        handler: (p) => ({ quote: 101.5, symbol: p['symbol'] }),
      });
      try {
        await conclave.start();
        await waitFor(() => conclave.registry.get('pricer') !== undefined, 'pricer to register');
        const task = await conclave.dispatcher.run({ pattern: 'price.quote', payload: { symbol: 'IBM' } });
        expect(task.result).toEqual({ quote: 101.5, symbol: 'IBM' });
        await conclave.dispatcher.flush();
        const stored = await store.tasks.get(task.id);
        expect(stored?.status).toBe('completed');
        expect(stored?.agent).toBe('pricer');
        expect((await conclave.dependencies()).dependencies.map((d) => d.status)).toEqual(['up', 'up', 'up']);
      } finally {
        await agent.stop(100);
        await conclave.close(1_000);
      }
    });
  },
);
