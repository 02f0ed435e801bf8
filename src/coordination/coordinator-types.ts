/** The coordinator's options, dependencies, events and counters. */
import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../core/clock.ts';
import type { SharedState } from '../state/shared-state.ts';
import type { Store } from '../store/store.ts';
import type { FanInConfig } from './fan-in-policy.ts';
import type { DecisionPolicy } from './policy.ts';
import type { Router } from './routing-rules.ts';
import type { Decision } from './schemas.ts';
import type { DeliveryQueue, RetryOptions } from './sinks.ts';
import type { StageRunner } from './stages.ts';

/** Compiled coordinator options (units in names). */
export interface CoordinatorOptions {
  readonly fanIn: FanInConfig;
  /** How long a decided correlation id is remembered, so it is never published twice. */
  readonly idempotencyTtlMs: number;
  /** Decisions per second across processes sharing the state; undefined for no limit. */
  readonly rateLimitRps?: number;
  readonly retry?: RetryOptions;
  /** Recorded in every audit entry. */
  readonly version?: string;
  /** The durable consumer's name (the document's `NATS_DURABLE`). */
  readonly durable?: string;
  readonly stream?: string;
  /**
   * Append each decision's audit entry to the store (default true). A backtest turns it off: its
   * result carries every decision already, and hundreds of thousands of entries would only fill
   * memory; late signals, rejections and delivery failures are still audited.
   */
  readonly auditDecisions?: boolean;
}

/** What the coordinator is built on. */
export interface CoordinatorDeps {
  readonly bus: Bus;
  readonly state: SharedState;
  readonly store: Pick<Store, 'audit'>;
  readonly clock: Clock;
  readonly policy: DecisionPolicy;
  readonly router: Router;
  /**
   * The sequential pattern: when given, each decision runs these stages (which consult `policy`
   * for sizing) instead of `policy` alone.
   */
  readonly stages?: StageRunner;
  /**
   * Where a fan-out delivery goes after its first publish fails. Without one, a failed delivery
   * is retried in place (`options.retry`) and then audited as `delivery_failed`.
   */
  readonly deliveries?: DeliveryQueue;
}

/** Typed events for metrics and logs (the document's `orchestrator_*` series). */
export type CoordinatorEvents = {
  signal_received: [agent: string];
  signal_rejected: [reason: string, agent: string | undefined];
  duplicate: [corrId: string, agent: string];
  late: [corrId: string, agent: string];
  decision: [type: Decision['action'], latencyMs: number, decision: Decision];
  timeout: [corrId: string];
  /** A fan-out delivery failed its first publish and was handed to the delivery queue. */
  delivery_requeued: [corrId: string, subject: string];
  /** A deadline decision failed (state or store trouble); nothing else reports it. */
  decision_failed: [corrId: string, error: unknown];
};

/** What {@link SignalCoordinator.ingest} did with one signal. */
export type IngestResult = 'rejected' | 'duplicate' | 'late' | 'stored' | 'decided';

/** Counters, as {@link SignalCoordinator.stats} returns them. */
export interface CoordinatorStats {
  received: number;
  rejected: number;
  duplicates: number;
  late: number;
  decisions: number;
  partial: number;
  insufficient: number;
  timeouts: number;
  deliveryFailures: number;
  /** Deliveries handed to the delivery queue after a failed publish. */
  deliveriesRequeued: number;
  pendingDeadlines: number;
}
