/**
 * The distributed shape's pieces, built from config: the NATS bus with its streams, the Redis
 * state behind a breaker, and the dependency report a health check reads. The nats and redis
 * modules are imported here lazily, so the embedded shape never loads them.
 */
import type { Bus, StreamConfig } from '../bus/bus.ts';
import { MemoryBus } from '../bus/memory-bus.ts';
import type { Clock } from '../core/clock.ts';
import type { ConclaveConfig } from '../core/config.ts';
import { BUS_STREAM_NAMES } from '../core/config-schema.ts';
import { MemoryState } from '../state/memory-state.ts';
import type { SharedState } from '../state/shared-state.ts';
import type { Store } from '../store/store.ts';
import type { ConclaveMetrics, Logger } from '../telemetry/index.ts';
import { DegradableState } from './degradable-state.ts';

/** One dependency's health, as `/health` reports it. */
export interface DependencyStatus {
  readonly name: 'bus' | 'state' | 'store';
  readonly driver: string;
  /** `down` makes the process unhealthy; `degraded` still serves, on a documented fallback. */
  readonly status: 'up' | 'degraded' | 'down';
  readonly reason?: string;
  /** When the current status began (ISO-8601), where known. */
  readonly since?: string;
}

/** Every dependency's health; `ok` is false when any is `down`. */
export interface DependencyReport {
  readonly ok: boolean;
  readonly dependencies: DependencyStatus[];
}

type BusStreamName = (typeof BUS_STREAM_NAMES)[number];

/**
 * The streams Conclave ensures on start, by config key.
 * @remarks JetStream refuses two streams that capture one subject, so each subject family has one
 * stream. `signals` is the coordinator's stream (enriched signals, the one it consumes); it does
 * not capture `signals.normalized`, which market feeds publish for agents on core NATS.
 */
export const DEFAULT_STREAMS: Readonly<Record<BusStreamName, { name: string; subjects: string[] }>> = {
  signals: { name: 'SIGNALS_ENRICHED', subjects: ['signals.enriched.>'] },
  decisions: {
    name: 'DECISIONS',
    subjects: ['orchestrated.decision', 'portfolio.decision', 'risk.monitor.decision'],
  },
  execution: { name: 'EXECUTION', subjects: ['execution.>'] },
  audit: { name: 'AUDIT', subjects: ['audit.>'] },
  tasks: { name: 'TASKS', subjects: ['tasks.>'] },
};

/** The streams of `bus.nats.streams`, defaults filled in, keyed as in config. */
export function busStreams(streams: ConclaveConfig['bus']['nats']['streams']): Map<string, StreamConfig> {
  const out = new Map<string, StreamConfig>();
  const keys = new Set<string>([...BUS_STREAM_NAMES, ...Object.keys(streams)]);
  for (const key of keys) {
    const given = streams[key] ?? {};
    const base = (DEFAULT_STREAMS as Record<string, { name: string; subjects: string[] }>)[key];
    const subjects = given.subjects ?? base?.subjects ?? [];
    const stream: StreamConfig = { name: given.name ?? base?.name ?? key.toUpperCase(), subjects };
    if (given.max_msgs !== undefined && given.max_msgs >= 0) stream.maxMsgs = given.max_msgs;
    if (given.max_age_seconds !== undefined && given.max_age_seconds > 0)
      stream.maxAgeMs = given.max_age_seconds * 1000;
    if (given.duplicate_window_seconds !== undefined)
      stream.duplicateWindowMs = given.duplicate_window_seconds * 1000;
    out.set(key, stream);
  }
  return out;
}

/** The bus from config, with its health. */
export interface OpenedBus {
  readonly bus: Bus;
  /** True when intake may accept work (the bus can carry what it produces). */
  connected(): boolean;
  status(): DependencyStatus;
}

/**
 * Opens the configured bus (or wraps `override`, reported as always up). For `nats`, connects (a server that cannot be reached rejects with
 * `BUS_ERROR`), logs every connection change loudly and keeps `conclave_bus_connected` current.
 */
export async function openBus(
  config: ConclaveConfig,
  clock: Clock,
  logger: Logger,
  metrics: ConclaveMetrics,
  override?: Bus,
): Promise<OpenedBus> {
  metrics.busConnected.set(1);
  if (override !== undefined) {
    return {
      bus: override,
      connected: () => true,
      status: () => ({ name: 'bus', driver: 'custom', status: 'up' }),
    };
  }
  if (config.bus.driver === 'memory') {
    const bus = new MemoryBus({ clock });
    return { bus, connected: () => true, status: () => ({ name: 'bus', driver: 'memory', status: 'up' }) };
  }
  const nats = config.bus.nats;
  const { NatsBus } = await import('../bus/nats-bus.ts');
  const bus = await NatsBus.connect({
    servers: nats.servers,
    name: nats.name,
    publishTimeoutMs: nats.publish_timeout_ms,
    apiTimeoutMs: nats.api_timeout_ms,
    reconnectTimeWaitMs: nats.reconnect_wait_ms,
    onStatusChange: (s) => {
      metrics.busConnected.set(s.state === 'connected' ? 1 : 0);
      if (s.state === 'connected')
        logger.info(
          { event: 'nats_connected', server: s.server, reconnects: s.reconnects },
          'NATS connection is back',
        );
      else if (s.state === 'closed' && bus.closeRequested)
        logger.info({ event: 'nats_closed', server: s.server }, 'NATS connection closed');
      else
        logger.error(
          { event: 'nats_disconnected', server: s.server, state: s.state },
          `NATS connection ${s.state}: intake refuses new work until it is back`,
        );
    },
    onError: (err) => logger.error({ event: 'nats_error', err }, 'NATS background failure'),
    onHandlerError: (err, subject) =>
      logger.error({ event: 'bus_handler_failed', err, subject }, 'bus handler failed'),
  });
  return {
    bus,
    connected: () => bus.status().state === 'connected',
    status: () => {
      const s = bus.status();
      const since = new Date(s.sinceMs).toISOString();
      if (s.state === 'connected') return { name: 'bus', driver: 'nats', status: 'up', since };
      return {
        name: 'bus',
        driver: 'nats',
        status: 'down',
        since,
        reason: `NATS ${s.state === 'closed' ? 'connection closed' : `unreachable, reconnecting to ${s.server ?? nats.servers.join(', ')}`}`,
      };
    },
  };
}

/** The shared state from config, with its health. */
export interface OpenedState {
  readonly state: SharedState;
  /** Checks the server once at start, so an outage shows before the first signal. */
  probe(): Promise<void>;
  status(): DependencyStatus;
}

/**
 * Opens the configured shared state (or wraps `override`). For `redis`, wraps it in a {@link DegradableState}: a
 * breaker, a loud warning on every degradation, `conclave_state_degraded`, and the configured
 * fallback (see its remarks for the trade-off).
 */
export async function openState(
  config: ConclaveConfig,
  clock: Clock,
  logger: Logger,
  metrics: ConclaveMetrics,
  override?: SharedState,
): Promise<OpenedState> {
  metrics.stateDegraded.set(0);
  if (override !== undefined) {
    return {
      state: override,
      probe: () => Promise.resolve(),
      status: () => ({ name: 'state', driver: 'custom', status: 'up' }),
    };
  }
  if (config.state.driver === 'memory') {
    return {
      state: new MemoryState({ clock }),
      probe: () => Promise.resolve(),
      status: () => ({ name: 'state', driver: 'memory', status: 'up' }),
    };
  }
  const redis = config.state.redis;
  const { RedisState } = await import('../state/redis-state.ts');
  let since = clock.now();
  const state = new DegradableState({
    primary: new RedisState({
      url: redis.url,
      keyPrefix: redis.key_prefix,
      connectTimeoutMs: redis.connect_timeout_ms,
      commandTimeoutMs: redis.command_timeout_ms,
    }),
    local: new MemoryState({ clock }),
    fallback: redis.fallback,
    breakerThreshold: redis.breaker_threshold,
    breakerResetMs: redis.breaker_reset_seconds * 1000,
    onChange: (reason) => {
      since = clock.now();
      metrics.stateDegraded.set(reason === undefined ? 0 : 1);
      if (reason === undefined)
        logger.info(
          { event: 'shared_state_recovered', url: redis.url },
          'Redis is back: shared state recovered',
        );
      else
        logger.warn(
          { event: 'shared_state_degraded', url: redis.url, reason, fallback: redis.fallback },
          redis.fallback === 'memory'
            ? `SHARED STATE DEGRADED: Redis unreachable (${reason}); this process falls back to in-memory state — exactly-once decisions across orchestrators are not guaranteed until Redis is back`
            : `SHARED STATE DEGRADED: Redis unreachable (${reason}); state operations are refused until Redis is back`,
        );
    },
  });
  return {
    state,
    probe: async () => {
      await state.probe();
    },
    status: () => {
      const h = state.health();
      const at = new Date(since).toISOString();
      if (!h.degraded) return { name: 'state', driver: 'redis', status: 'up', since: at };
      return {
        name: 'state',
        driver: 'redis',
        // Refusing means no decision can be made: as unhealthy as a missing bus.
        status: h.fallback === 'memory' ? 'degraded' : 'down',
        since: at,
        reason: `Redis unreachable (${h.reason ?? 'unknown'}); fallback: ${h.fallback}`,
      };
    },
  };
}

/** The store's health: a `ping` answered within `timeoutMs`, else `down` with why. */
export async function storeStatus(
  store: Pick<Store, 'ping'>,
  driver: string,
  timeoutMs = 2_000,
): Promise<DependencyStatus> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    const answer = await Promise.race([
      store.ping().then(
        (ok) => (ok ? undefined : 'ping failed'),
        (err: unknown) => (err instanceof Error ? err.message : String(err)),
      ),
      late,
    ]);
    if (answer === undefined) return { name: 'store', driver, status: 'up' };
    return { name: 'store', driver, status: 'down', reason: `store unreachable: ${answer}` };
  } finally {
    clearTimeout(timer);
  }
}
