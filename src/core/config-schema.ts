import { hostname } from 'node:os';
import { z } from 'zod';

const seconds = (def: number) => z.number().positive().default(def);

/** One routing rule, in the Learn Your Way document's shape (`timeout` is in seconds). */
export const routingRuleSchema = z
  .strictObject({
    pattern: z.string().regex(/^[a-z][a-z0-9_.:-]*$/i, 'a pattern name: letters, digits, _ . : -'),
    target_agent: z.string().min(1).optional(),
    capability: z.string().min(1).optional(),
    endpoint: z.url().optional(),
    timeout: z.number().positive().optional(),
    priority: z.number().int().min(1).max(5).optional(),
    max_retries: z.number().int().min(0).max(20).optional(),
  })
  .refine((r) => r.target_agent !== undefined || r.capability !== undefined, {
    message: 'a rule needs target_agent or capability',
  });

/** A routing rule as read from config. */
export type RoutingRuleConfig = z.infer<typeof routingRuleSchema>;

const rateLimitSchema = z.strictObject({
  rate_per_minute: z.number().positive(),
  burst: z.number().int().positive(),
});

const agentsSchema = z
  .strictObject({
    heartbeat_interval_seconds: seconds(15),
    timeout_threshold_seconds: seconds(300),
    error_threshold: z.number().int().positive().default(5),
    error_window_seconds: seconds(60),
  })
  .prefault({});

const dispatcherSchema = z
  .strictObject({
    max_queue_size: z.number().int().positive().default(10_000),
    default_priority: z.number().int().min(1).max(5).default(3),
    default_timeout_seconds: seconds(30),
    max_payload_bytes: z.number().int().positive().default(1_048_576),
    max_in_flight: z.number().int().positive().default(256),
    load_balancing: z
      .strictObject({
        strategy: z.enum(['round_robin', 'least_connections', 'weighted']).default('round_robin'),
        max_connections_per_agent: z.number().int().positive().default(100),
      })
      .prefault({}),
    error_recovery: z
      .strictObject({
        max_retries: z.number().int().min(0).max(20).default(3),
        retry_delay_seconds: z.number().min(0).default(1),
        backoff_multiplier: z.number().min(1).default(2),
        max_retry_delay_seconds: seconds(60),
        jitter: z.number().min(0).max(1).default(0.1),
        circuit_breaker_threshold: z.number().int().positive().default(5),
        circuit_breaker_reset_seconds: seconds(30),
        dead_letter_enabled: z.boolean().default(true),
      })
      .prefault({}),
    rate_limiting: z
      .strictObject({
        default_rate_per_minute: z.number().positive().default(6000),
        burst_size: z.number().int().positive().default(100),
        per_agent: z.record(z.string(), rateLimitSchema).default({}),
      })
      .prefault({}),
    group_commit: z
      .strictObject({
        max_batch: z.number().int().positive().default(2000),
      })
      .prefault({}),
  })
  .prefault({});

/** The workflow engine (AMC document: max_concurrent_workflows, workflow_timeout, progress_update_interval). */
const workflowsSchema = z
  .strictObject({
    max_concurrent_workflows: z.number().int().positive().default(5),
    max_queued_workflows: z.number().int().min(0).default(1000),
    workflow_timeout_seconds: seconds(900),
    progress_update_interval_seconds: z.number().min(0).default(5),
    step_max_retries: z.number().int().min(0).max(20).default(3),
    step_retry_delay_seconds: z.number().min(0).default(1),
    step_timeout_seconds: seconds(300),
  })
  .prefault({});

/** The AMC command workflows (src/workflow/commands). */
const commandsSchema = z
  .strictObject({
    discovery_capability: z.string().min(1).default('candidate_discovery'),
    order_targets: z.array(z.string().min(1)).min(1).default(['execute_order', 'execution']),
    drain_timeout_seconds: seconds(30),
  })
  .prefault({});

const fanInOverrideSchema = z.strictObject({
  profile: z.enum(['simple', 'workflow', 'high_frequency']).optional(),
  required_agents: z.array(z.string().min(1)).min(1).optional(),
  min_agents: z.number().int().positive().optional(),
  decision_timeout_seconds: z.number().positive().optional(),
  state_ttl_seconds: z.number().positive().optional(),
});

/** The signal coordinator (at-orchestrator document: profiles, idempotency window, rate limit). */
const coordinationSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    policy: z.enum(['rule_based', 'weighted_average']).default('rule_based'),
    /** `fan_in`: the policy decides; `sequential`: the stage workflow decides (consulting the policy for sizing). */
    pattern: z.enum(['fan_in', 'sequential']).default('fan_in'),
    stages: z
      .strictObject({
        min_signal_quality: z.number().min(0).max(1).default(0.6),
        max_overall_risk: z.number().min(0).max(1).default(0.8),
        max_position_size: z.number().positive().optional(),
        urgent_momentum: z.number().min(0).max(1).default(0.7),
      })
      .prefault({}),
    ...fanInOverrideSchema.shape,
    profile: z.enum(['simple', 'workflow', 'high_frequency']).default('simple'),
    by_instrument: z.record(z.string(), fanInOverrideSchema).default({}),
    by_signal_type: z.record(z.string(), fanInOverrideSchema).default({}),
    idempotency_ttl_seconds: seconds(3600),
    /** Decisions per second; unset for no limit. */
    rate_limit_rps: z.number().positive().optional(),
    /** Ordered conditional routing rules (the condition language); default: the documents' rules. */
    routing_rules: z.array(z.unknown()).optional(),
    default_subject: z.string().min(1).default('execution.order'),
  })
  .prefault({});

const storeSchema = z
  .strictObject({
    driver: z.enum(['sqlite', 'postgres']).default('sqlite'),
    sqlite_path: z.string().min(1).default('./data/conclave.db'),
    postgres_url: z.string().min(1).default('postgres://localhost:5432/test'),
    postgres_pool_max: z.number().int().positive().default(10),
  })
  .prefault({});

const subjectList = z
  .array(
    z.string().regex(/^[a-zA-Z0-9_*>-]+(\.[a-zA-Z0-9_*>-]+)*$/, 'a NATS subject, e.g. signals.enriched.>'),
  )
  .min(1);

/** One JetStream stream's settings; omitted keys take the stream's built-in defaults. */
const streamSchema = z.strictObject({
  /** The JetStream stream name. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'a stream name: letters, digits, _ -')
    .optional(),
  subjects: subjectList.optional(),
  /** Oldest messages are dropped beyond this count; -1 for no limit. */
  max_msgs: z.number().int().min(-1).optional(),
  /** Messages older than this are dropped; 0 for no limit. */
  max_age_seconds: z.number().min(0).optional(),
  /** Window in which a repeated message id is dropped. */
  duplicate_window_seconds: z.number().positive().optional(),
});

/** The streams Conclave ensures on start unless a config replaces their settings. */
export const BUS_STREAM_NAMES = ['signals', 'decisions', 'execution', 'audit', 'tasks'] as const;

const natsSchema = z
  .strictObject({
    /** A list, or one string of comma-separated URLs (as `CONCLAVE_NATS_URL` gives it). */
    servers: z
      .preprocess(
        (v) => (typeof v === 'string' ? v.split(',').map((u) => u.trim()) : v),
        z.array(z.string().regex(/^(nats|tls|wss?):\/\/./, 'a nats:// URL')).min(1),
      )
      .default(['nats://127.0.0.1:4222']),
    name: z.string().min(1).default('conclave'),
    publish_timeout_ms: z.number().int().positive().default(5000),
    api_timeout_ms: z.number().int().positive().default(5000),
    reconnect_wait_ms: z.number().int().positive().default(1000),
    streams: z
      .record(
        z.string().regex(/^[a-z][a-z0-9_]*$/, 'a stream key: lower-case letters, digits, _'),
        streamSchema,
      )
      .default({})
      .superRefine((streams, ctx) => {
        for (const [key, stream] of Object.entries(streams)) {
          const builtIn = (BUS_STREAM_NAMES as readonly string[]).includes(key);
          if (!builtIn && stream.subjects === undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [key, 'subjects'],
              message: `stream '${key}' is not one of ${BUS_STREAM_NAMES.join(', ')}, so it needs subjects`,
            });
          }
        }
      }),
  })
  .prefault({});

const busSchema = z
  .strictObject({
    driver: z.enum(['memory', 'nats']).default('memory'),
    nats: natsSchema,
  })
  .prefault({});

/** Shared coordination state: in memory (embedded) or Redis (distributed). */
const stateSchema = z
  .strictObject({
    driver: z.enum(['memory', 'redis']).default('memory'),
    redis: z
      .strictObject({
        url: z
          .string()
          .regex(/^rediss?:\/\/./, 'a redis:// or rediss:// URL')
          .default('redis://127.0.0.1:6379'),
        key_prefix: z
          .string()
          .regex(/^[^{}]*$/, 'a prefix without { or }')
          .default('conclave:'),
        connect_timeout_ms: z.number().int().positive().default(2000),
        command_timeout_ms: z.number().int().positive().default(2000),
        /** What this process does while Redis is unreachable. */
        fallback: z.enum(['memory', 'refuse']).default('memory'),
        breaker_threshold: z.number().int().positive().default(3),
        breaker_reset_seconds: seconds(10),
      })
      .prefault({}),
  })
  .prefault({});

/** The roles an API key can hold, least to most powerful: each includes the ones before it. */
export const API_KEY_ROLES = ['read', 'operate', 'admin'] as const;

const KEY_TEXT = 'must be at least 16 characters (letters, digits, _ - . ~ + / =)';

/** One API key: the key itself (`key`) or the environment variable holding it (`key_env`). */
export const apiKeySchema = z
  .strictObject({
    key: z
      .string()
      .regex(/^[A-Za-z0-9_\-.~+/=]{16,512}$/, KEY_TEXT)
      .optional(),
    key_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
      .optional(),
    name: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, '1–64 letters, digits, _ . @ -'),
    role: z.enum(API_KEY_ROLES),
    rate_limit_per_minute: z.number().int().min(1).max(1_000_000).optional(),
  })
  .refine((k) => (k.key === undefined) !== (k.key_env === undefined), {
    message: 'an API key needs exactly one of key and key_env',
  });

/** An API key as configured. */
export type ApiKeyConfig = z.infer<typeof apiKeySchema>;

/**
 * Reads the compact environment form of API keys: `name:role:key[:rate_limit_per_minute]`,
 * comma-separated (`ci:operate:0123456789abcdef,ops:admin:fedcba9876543210:120`).
 * @remarks Environment values are single strings, so keys set there use this form; anything that
 * does not split into 3 or 4 fields is left as written for the schema to refuse by name.
 */
export function parseApiKeyList(text: string): unknown[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const [name, role, key, rate, ...rest] = entry.split(':');
      if (key === undefined || rest.length > 0) return entry;
      const rateNumber = rate === undefined ? undefined : Number(rate);
      return { name, role, key, ...(rateNumber === undefined ? {} : { rate_limit_per_minute: rateNumber }) };
    });
}

const serverSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8000),
    api_keys: z
      .preprocess((v) => (typeof v === 'string' ? parseApiKeyList(v) : v), z.array(apiKeySchema))
      .default([]),
    open_endpoints: z
      .array(z.string().regex(/^\/[A-Za-z0-9_./:-]*$/, 'a route path such as /health'))
      .default(['/health', '/metrics']),
    default_rate_limit_per_minute: z.number().int().min(1).max(1_000_000).default(600),
    callback_secret: z.string().min(16, 'must be at least 16 characters').optional(),
    callback_timeout_seconds: seconds(10),
    callback_max_attempts: z.number().int().min(1).max(20).default(5),
    callback_retry_delay_seconds: seconds(1),
    /**
     * This process's identity as the owner of the backtests and callback deliveries it records;
     * on start it recovers only unfinished work it owns. Default `<hostname>:<port>`.
     */
    instance_id: z
      // From the environment `7` reads as a number; an id is text either way.
      .preprocess(
        (v) => (typeof v === 'number' ? String(v) : v),
        z.string().regex(/^\S{1,200}$/, '1–200 characters, no spaces'),
      )
      .optional(),
  })
  .transform((s) => ({ ...s, instance_id: s.instance_id ?? defaultInstanceId(s.port) }))
  .prefault({});

/**
 * `<hostname>:<port>`: stable across restarts of the same service on the same host (so a restart
 * recovers its own unfinished work), distinct for processes on one host that listen on different
 * ports.
 */
function defaultInstanceId(port: number): string {
  return `${hostname()}:${port}`;
}

const logSchema = z
  .strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  })
  .prefault({});

/** The built-in trading agents and the live feed that replays real market data to them. */
const tradingSchema = z
  .strictObject({
    /** Register the data, momentum, risk, correlation, cost and execution agents at start. */
    builtin_agents: z.boolean().default(true),
    live_feed: z
      .strictObject({
        enabled: z.boolean().default(true),
        symbols: z.array(z.string().min(1)).min(1).default(['SPX', 'AAPL', 'AMZN', 'GOOG', 'IBM', 'MSFT']),
        bars_per_second: z.number().positive().max(1000).default(2),
        warmup_bars: z.number().int().min(0).default(60),
      })
      .prefault({}),
    paper_broker: z
      .strictObject({
        initial_cash: z.number().min(0).default(100_000),
      })
      .prefault({}),
  })
  .prefault({});

/** Traces (OpenTelemetry): off by default; when on, exported over OTLP/HTTP, to stdout or kept in memory. */
const telemetrySchema = z
  .strictObject({
    tracing: z
      .strictObject({
        enabled: z.boolean().default(false),
        exporter: z.enum(['otlp', 'console', 'memory']).default('otlp'),
        endpoint: z.url().default('http://localhost:4318/v1/traces'),
        service_name: z.string().min(1).default('conclave'),
        sample_ratio: z.number().min(0).max(1).default(1),
      })
      .prefault({}),
  })
  .prefault({});

/** The whole configuration, as validated. Every key is documented in conclave.example.yaml. */
export const configSchema = z.strictObject({
  profile: z.string().default('default'),
  data_dir: z.string().min(1).default('./data'),
  log: logSchema,
  server: serverSchema,
  store: storeSchema,
  bus: busSchema,
  state: stateSchema,
  agents: agentsSchema,
  dispatcher: dispatcherSchema,
  workflows: workflowsSchema,
  coordination: coordinationSchema,
  commands: commandsSchema,
  trading: tradingSchema,
  telemetry: telemetrySchema,
  routing_rules: z.array(routingRuleSchema).default([]),
  profiles: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
});

/** The validated configuration. */
export type ConclaveConfig = z.infer<typeof configSchema>;
