import type { JsonObject } from '../core/task.ts';
import type { AgentTransport } from './transport.ts';

/**
 * Where an agent stands. Only `running` and `error` agents take work.
 * @remarks Precedence when several conditions hold: `disabled` > `offline` > `error` > `running`.
 */
export type AgentStatus = 'running' | 'error' | 'offline' | 'disabled';

/** The statuses, in a stable order (for metrics labels and counts). */
export const AGENT_STATUSES: readonly AgentStatus[] = ['running', 'error', 'offline', 'disabled'];

/**
 * How liveness is judged. `auto`: the agent is alive while registered (in-process functions).
 * `required`: the agent must call in within the timeout threshold or it goes `offline`.
 */
export type HeartbeatMode = 'auto' | 'required';

/** What a caller hands to `AgentRegistry.register`. */
export interface AgentRegistration {
  /** Unique, `[a-z0-9_.-]` (case-insensitive; names differing only in case collide). */
  name: string;
  /** At least one capability it serves, e.g. `risk.assess`. */
  capabilities: readonly string[];
  /** Agents that must already be registered. */
  dependencies?: readonly string[];
  transport: AgentTransport;
  /** Relative share for weighted balancing; > 0, default 1. */
  weight?: number;
  /** Concurrent calls the agent accepts; a positive integer, default 100. */
  maxConnections?: number;
  version?: string;
  /** Default: `auto` for in-process transports, `required` for every other transport. */
  heartbeat?: HeartbeatMode;
  metadata?: JsonObject;
}

/**
 * A registered agent, as the registry sees it right now.
 * @remarks A live read-only view: status and counters change in place, so the dispatcher can hold
 * it without re-looking it up. Use `AgentRegistry.snapshot()` for a JSON-safe copy.
 */
export interface AgentInfo {
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly dependencies: readonly string[];
  readonly transport: AgentTransport;
  readonly weight: number;
  readonly maxConnections: number;
  readonly version: string | null;
  readonly heartbeat: HeartbeatMode;
  readonly metadata: Readonly<JsonObject>;
  readonly status: AgentStatus;
  /** Why the agent left `running` (last error, disable reason, heartbeat timeout); null when running. */
  readonly statusReason: string | null;
  /** Epoch ms. */
  readonly registeredAt: number;
  /** Epoch ms of the last heartbeat; null until the first one. */
  readonly lastHeartbeatAt: number | null;
  /** Calls recorded (successes + failures). */
  readonly calls: number;
  readonly failures: number;
  /** Mean latency of successful calls, ms; 0 before the first success. */
  readonly avgLatencyMs: number;
}

/** A JSON-safe copy of an {@link AgentInfo}, for the API, the dashboard and the event stream. */
export interface AgentSnapshot {
  name: string;
  capabilities: string[];
  dependencies: string[];
  status: AgentStatus;
  statusReason: string | null;
  heartbeat: HeartbeatMode;
  lastHeartbeatAt: number | null;
  registeredAt: number;
  calls: number;
  failures: number;
  /** Failures still inside the error window. */
  recentFailures: number;
  avgLatencyMs: number;
  weight: number;
  maxConnections: number;
  version: string | null;
  transport: AgentTransport['kind'];
  metadata: JsonObject;
}

/** How many agents are in each status (the AMC `running_agents` / `error_agents` figures). */
export interface AgentStatusCounts {
  running: number;
  error: number;
  offline: number;
  disabled: number;
  total: number;
}

/** One status transition. */
export interface AgentStatusChange {
  name: string;
  from: AgentStatus;
  to: AgentStatus;
  reason: string | null;
  /** Epoch ms, from the registry's clock. */
  at: number;
}

/** The registry's typed events (listener argument tuples, keyed by event name). */
export interface AgentRegistryEvents {
  status: [change: AgentStatusChange];
  registered: [agent: AgentSnapshot];
  unregistered: [event: { name: string; at: number }];
}
