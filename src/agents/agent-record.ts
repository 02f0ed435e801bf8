import type { JsonObject } from '../core/task.ts';
import type { AgentInfo, AgentSnapshot, AgentStatus, HeartbeatMode } from './agent-info.ts';
import { FailureWindow } from './failure-window.ts';
import type { CompiledRegistration } from './registration.ts';
import type { AgentTransport } from './transport.ts';

/**
 * The registry's mutable state for one agent; handed out as a read-only {@link AgentInfo}.
 * @remarks Only the registry writes these fields, and it does so in place, so the hot path
 * (`recordSuccess`, `isAvailable`) touches one object and allocates nothing.
 */
export class AgentRecord implements AgentInfo {
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly dependencies: readonly string[];
  readonly transport: AgentTransport;
  readonly weight: number;
  readonly maxConnections: number;
  readonly version: string | null;
  readonly heartbeat: HeartbeatMode;
  readonly metadata: JsonObject;
  readonly registeredAt: number;
  readonly window: FailureWindow;
  status: AgentStatus = 'running';
  statusReason: string | null = null;
  lastHeartbeatAt: number | null = null;
  /** Message of the latest failure, for status reasons. */
  lastError: string | null = null;
  calls = 0;
  failures = 0;
  successes = 0;
  latencySumMs = 0;

  constructor(reg: CompiledRegistration, now: number, errorThreshold: number, errorWindowMs: number) {
    this.name = reg.name;
    this.capabilities = reg.capabilities;
    this.dependencies = reg.dependencies;
    this.transport = reg.transport;
    this.weight = reg.weight;
    this.maxConnections = reg.maxConnections;
    this.version = reg.version;
    this.heartbeat = reg.heartbeat;
    this.metadata = reg.metadata;
    this.registeredAt = now;
    this.window = new FailureWindow(errorThreshold, errorWindowMs);
  }

  get avgLatencyMs(): number {
    return this.successes === 0 ? 0 : this.latencySumMs / this.successes;
  }

  /** When the agent was last known alive: its last heartbeat, or its registration. */
  get lastSeenAt(): number {
    return this.lastHeartbeatAt ?? this.registeredAt;
  }

  /** A JSON-safe copy as of `now`. */
  toSnapshot(now: number): AgentSnapshot {
    return {
      name: this.name,
      capabilities: [...this.capabilities],
      dependencies: [...this.dependencies],
      status: this.status,
      statusReason: this.statusReason,
      heartbeat: this.heartbeat,
      lastHeartbeatAt: this.lastHeartbeatAt,
      registeredAt: this.registeredAt,
      calls: this.calls,
      failures: this.failures,
      recentFailures: this.window.count(now),
      avgLatencyMs: this.avgLatencyMs,
      weight: this.weight,
      maxConnections: this.maxConnections,
      version: this.version,
      transport: this.transport.kind,
      metadata: { ...this.metadata },
    };
  }
}
