/**
 * One orchestrator process of the chaos test: a distributed Conclave (NATS bus, Redis state,
 * PostgreSQL store in the run's schema) that consumes enriched signals and decides. It tells its
 * parent over IPC when it is ready and, every 100 ms, how many decisions it has made.
 *
 * Arguments: `<nats url> <redis url> <redis key prefix> <postgres url> <postgres schema>`.
 */
import { createConclave } from '../../src/conclave.ts';
import { loadConfig } from '../../src/core/config.ts';
import { openPostgresStore } from '../../src/store/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';
import { CHAOS_AGENTS, type ChildReport } from './protocol.ts';

const [natsUrl, redisUrl, keyPrefix, postgresUrl, schema] = process.argv.slice(2);
if (schema === undefined || natsUrl === undefined || redisUrl === undefined || keyPrefix === undefined) {
  throw new Error('usage: orchestrator-process <nats> <redis> <prefix> <postgres> <schema>');
}
const report = (r: ChildReport): void => {
  process.send?.(r);
};

const store = await openPostgresStore({ url: postgresUrl ?? '', schema, poolMax: 4, migrate: false });
const window = { duplicate_window_seconds: 600 };
const config = loadConfig({
  path: '/dev/null',
  env: {},
  overrides: {
    bus: {
      driver: 'nats',
      nats: {
        servers: [natsUrl],
        reconnect_wait_ms: 100,
        // Long enough to wait out the nats-server restart instead of failing the publish.
        publish_timeout_ms: 10_000,
        streams: { signals: window, decisions: window },
      },
    },
    state: { driver: 'redis', redis: { url: redisUrl, key_prefix: keyPrefix } },
    store: { driver: 'postgres' },
    coordination: {
      required_agents: [...CHAOS_AGENTS],
      min_agents: CHAOS_AGENTS.length,
      // Every correlation completes: no deadline decides a partial set during the run.
      decision_timeout_seconds: 600,
      state_ttl_seconds: 900,
    },
  },
});
const conclave = await createConclave(config, { store, logger: createLogger('error', process.stderr) });
let decisions = 0;
conclave.coordinator.on('decision', () => decisions++);
await conclave.start();
report({ kind: 'ready' });
setInterval(() => report({ kind: 'progress', count: decisions }), 100);
