/**
 * Chaos: 3 orchestrator processes and 3 agent processes over a private nats-server, shared Redis
 * (a unique key prefix) and shared PostgreSQL (a unique schema). The agents publish 10,000
 * correlations (one enriched signal each per corr_id, all three required); mid-stream one
 * orchestrator is SIGKILLed (and restarted) twice and the nats-server is restarted once.
 * Afterwards the DECISIONS stream and the store's audit must hold exactly one decision per corr_id.
 *
 * Why nothing is lost or doubled:
 * - Signals: agents publish with the message id `enriched.<agent>.<corr_id>` and retry until the
 *   stream stores it (retries while nats-server restarts are dropped as duplicates). Orchestrators
 *   share one durable pull consumer and ack only after handling, so a killed orchestrator's
 *   unacked signals are redelivered to the others after the ack wait.
 * - The claim: the Redis join stores a signal and, when it completes the correlation, claims the
 *   decision in one Lua step — two orchestrators can never both claim a corr_id.
 * - The gap between claim and outcome: a decider killed after the claim but before publishing
 *   leaves a claimed correlation with no outcome, and every later signal for it is `late`. So a
 *   *redelivered* signal that finds its correlation decided checks the store for the decision's
 *   audit entry (written after the publish); if there is none it takes a lease
 *   (`decide:<corr_id>`) and decides again over the signals stored in Redis. A decision publish
 *   that fails is no longer handed to the delivery queue: the decision fails, the signal is nacked,
 *   and the redelivery finishes it the same way.
 * - The stream: the decision is published with the message id `decision:<corr_id>`, so a publish
 *   retried after a lost ack, or repeated by a recovery after the first one got out, is dropped.
 * - The store: a decision is audited once, by the decider or by the one recovery holding the
 *   lease after finding no audit. (If a decider dies between publish and audit, the recovered
 *   audit entry carries its own decision_id, over the same signals.)
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/index.ts';
import type { KyselyStore } from '../../src/store/kysely-store.ts';
import { PrivateNats, REDIS_URL, pause, pingRedis, waitFor } from '../integration/support.ts';
import { POSTGRES_URL, postgresSchemas, probePostgres } from '../support/postgres.ts';
import { requireService, suiteName } from '../support/services.ts';
import { Child } from './children.ts';
import { CHAOS_AGENTS, chaosCorrId } from './protocol.ts';
import { discrepancies, signalBacklog, storedDecisions, streamDecisions } from './verify.ts';

const CORRELATIONS = 10_000;
/** Signals per second from each agent: the stream lasts about 12 s, so the chaos lands mid-way. */
const RATE = 800;

let nats: PrivateNats | undefined;
const natsStatus = await requireService('NATS (a private nats-server -js)', async () => {
  nats = await PrivateNats.start();
});
const redisStatus = await requireService(`Redis at ${REDIS_URL}`, () => pingRedis(REDIS_URL));
const pgStatus = await probePostgres();
const missing = [natsStatus, redisStatus, pgStatus].find((s) => !s.available);
const schemas = postgresSchemas('chaos');
const prefix = `chaos-${randomUUID()}:`;
const children: Child[] = [];
let store: KyselyStore | undefined;

afterAll(async () => {
  for (const child of children) await child.kill();
  await store?.close();
  await schemas.dropSchemas();
  await nats?.dispose();
  if (redisStatus.available) await dropKeys(prefix);
});

/** Removes the run's Redis keys. */
async function dropKeys(keyPrefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

describe.skipIf(missing !== undefined)(
  suiteName('chaos: 3 orchestrators, 3 agents, SIGKILLs and a NATS restart', missing ?? { available: true }),
  () => {
    it('ends with exactly one decision per corr_id in the stream and in the store', async () => {
      const server = nats as PrivateNats;
      const schema = schemas.freshSchema();
      store = await openPostgresStore({ url: POSTGRES_URL, schema, poolMax: 2 }); // migrates once
      const orchestrator = (n: number): Child => {
        const child = new Child(`orchestrator-${n}`, './orchestrator-process.ts', [
          server.url,
          REDIS_URL,
          prefix,
          POSTGRES_URL,
          schema,
        ]);
        children.push(child);
        return child;
      };
      const orchestrators = [0, 1, 2].map(orchestrator);
      await waitFor(() => orchestrators.every((o) => o.ready), 'the orchestrators to start', 30_000);
      const agents = CHAOS_AGENTS.map((name) => {
        const child = new Child(name, './agent-process.ts', [
          server.url,
          name,
          String(CORRELATIONS),
          String(RATE),
        ]);
        children.push(child);
        return child;
      });
      await waitFor(() => agents.every((a) => a.ready), 'the agents to start', 30_000);
      const decided = (): number =>
        children.filter((c) => c.name.startsWith('orch')).reduce((n, c) => n + c.count, 0);
      const killAndRestart = async (): Promise<void> => {
        const victim = orchestrators[0] as Child;
        await victim.kill('SIGKILL');
        orchestrators[0] = orchestrator(0);
        await waitFor(() => (orchestrators[0] as Child).ready, 'the restarted orchestrator', 30_000);
      };

      agents.forEach((a) => a.send({ kind: 'go' }));
      await waitFor(() => decided() >= 1_500, '1,500 decisions', 30_000);
      await killAndRestart();
      await waitFor(() => decided() >= 4_000, '4,000 decisions', 30_000);
      await server.stop();
      await pause(300);
      await server.start();
      await waitFor(() => decided() >= 6_500, '6,500 decisions', 30_000);
      await killAndRestart();
      await waitFor(() => agents.every((a) => a.done), 'every signal to be published', 60_000);
      // Settled: every signal handled and acked (the killed orchestrators' ones after the ack wait).
      await waitFor(
        async () => {
          const backlog = await signalBacklog(server.url);
          return backlog.pending === 0 && backlog.unacked === 0;
        },
        'the signal consumer to drain',
        90_000,
      );
      await pause(500);

      const expected = Array.from({ length: CORRELATIONS }, (_, i) => chaosCorrId(i));
      const inStream = discrepancies(await streamDecisions(server.url), expected);
      const inStore = discrepancies(await storedDecisions(store), expected);
      expect({ stream: inStream, store: inStore }).toEqual({
        stream: { lost: [], doubled: [] },
        store: { lost: [], doubled: [] },
      });
      expect(orchestrators.every((o) => !o.exited)).toBe(true);
    }, 170_000);
  },
);
