import type { AgentRegistry } from '../agents/registry.ts';
import type { Clock } from '../core/clock.ts';
import type { Random } from '../core/random.ts';
import type { TaskRecord } from '../core/task.ts';
import type { Store } from '../store/store.ts';
import type { BackoffOptions } from './backoff.ts';
import type { BalancingStrategy } from './balancer.ts';
import type { BreakerOptions, BreakerTransition } from './breaker.ts';
import type { RateLimit, RateLimiter } from './rate-limiter.ts';
import type { RoutingTable } from './routing.ts';

/** Dispatcher settings, complete and in explicit units (compiled from config). */
export interface DispatcherOptions {
  /** Tasks waiting (queued, parked or awaiting their intake commit) at most; more is `QUEUE_FULL`. */
  maxQueueSize: number;
  defaultPriority: number;
  defaultTimeoutMs: number;
  maxPayloadBytes: number;
  /** Agent calls in flight at once, over all agents. */
  maxInFlight: number;
  /** Default retries after the first attempt. */
  maxRetries: number;
  backoff: BackoffOptions;
  breaker: BreakerOptions;
  /** When false, exhausted tasks end `failed` instead of `dead_lettered`. */
  deadLetterEnabled: boolean;
  balancing: BalancingStrategy;
  defaultRateLimit: RateLimit;
  perAgentRateLimits: Record<string, RateLimit>;
  /** Rows per group-commit transaction, at most. */
  groupCommitMaxBatch: number;
}

/** What the dispatcher is built on. */
export interface DispatcherDeps {
  store: Store;
  registry: AgentRegistry;
  routing: RoutingTable;
  clock?: Clock;
  random?: Random;
  /** Default: an in-process token-bucket limiter. */
  limiter?: RateLimiter;
}

/** Typed dispatcher events (for metrics, logs and the live event stream). */
export interface DispatcherEvents {
  [event: string]: unknown[];
  queued: [task: TaskRecord];
  started: [task: TaskRecord];
  retrying: [task: TaskRecord, delayMs: number];
  /** A task reached a final state (completed, failed or dead_lettered). */
  finished: [task: TaskRecord];
  breaker: [agent: string, transition: BreakerTransition];
  halted: [halt: Halt, cancelled: number];
  resumed: [halt: Halt];
  /** A group commit failed. */
  store_error: [error: unknown];
}

/** Which tasks a halt or a bulk cancel applies to: any listed pattern or routed target matches. */
export interface TaskSelector {
  patterns?: readonly string[];
  /** Capabilities or agent names that routes resolve to. */
  targets?: readonly string[];
}

/** A halt in force: matching tasks are refused at intake and never dispatched. */
export interface Halt {
  id: string;
  selector: TaskSelector;
  reason: string;
  since: number;
}

/** Live counters. */
export interface DispatcherStats {
  /** Waiting to run: queued plus parked (their agents at capacity or rate-limited). */
  queued: number;
  queuedByPriority: Record<1 | 2 | 3 | 4 | 5, number>;
  parked: number;
  inFlight: number;
  retryWaiting: number;
  awaitingCommit: number;
  submitted: number;
  completed: number;
  failed: number;
  deadLettered: number;
}

/** The Learn Your Way document's POST /aggregate result. */
export interface AggregateResult {
  total_tasks: number;
  completed: number;
  failed: number;
  /** Tasks still queued or running. */
  pending: number;
  not_found: string[];
  results: { task_id: string; agent: string | null; result: unknown; execution_time: number | null }[];
  errors: { task_id: string; agent: string | null; status: string; error: string; code: string }[];
}
