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

const busSchema = z
  .strictObject({
    driver: z.enum(['memory']).default('memory'),
  })
  .prefault({});

const serverSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8000),
  })
  .prefault({});

const logSchema = z
  .strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
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
  agents: agentsSchema,
  dispatcher: dispatcherSchema,
  workflows: workflowsSchema,
  coordination: coordinationSchema,
  commands: commandsSchema,
  routing_rules: z.array(routingRuleSchema).default([]),
  profiles: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
});

/** The validated configuration. */
export type ConclaveConfig = z.infer<typeof configSchema>;
