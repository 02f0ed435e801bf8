import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../core/clock.ts';
import type { SerializedError } from '../core/errors.ts';
import type { Dispatcher } from '../dispatch/dispatcher.ts';
import type { Store } from '../store/store.ts';
import type { RunRecord, RunStatus } from '../core/workflow-run.ts';
import type { RetryPolicy, StepContext, StepStatus } from './model.ts';

/** Engine settings, complete and in explicit units (see `compileWorkflowEngineOptions`). */
export interface WorkflowEngineOptions {
  /** Runs executing at once (AMC: `max_concurrent_workflows`, 5); more wait in a FIFO queue. */
  maxConcurrentWorkflows: number;
  /** Runs waiting at most; one more is `QUEUE_FULL`. */
  maxQueuedWorkflows: number;
  /** Whole-run timeout when the definition sets none (AMC: `workflow_timeout`, 900 s). */
  workflowTimeoutMs: number;
  /** Progress events per run at most this often, besides one on every run state change. */
  progressUpdateIntervalMs: number;
  /** Retry policy of steps that set none. */
  defaultRetry: RetryPolicy;
  /** Per-attempt step timeout when the step sets none. */
  defaultStepTimeoutMs: number;
}

/** What the engine is built on (injected; wired in `createConclave`). */
export interface WorkflowEngineDeps {
  dispatcher: Pick<Dispatcher, 'submit' | 'get' | 'wait' | 'cancel'>;
  /** The store whose kysely instance holds the journal tables (migration 0003). */
  store: Pick<Store, 'workflows'>;
  bus?: Pick<Bus, 'publish'>;
  clock?: Clock;
  /** Whether a routing pattern or capability can be dispatched (validation of task steps). */
  hasPattern: (pattern: string) => boolean;
}

/** What a builtin step gets besides its params. */
export interface BuiltinContext extends StepContext {
  runId: string;
  stepId: string;
  /** Stable across attempts and restarts of this step (and item): deduplicate on it. */
  idempotencyKey: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborts on step timeout, run timeout or cancel. */
  signal: AbortSignal;
}

/** A builtin step. Return `{ stop: true, reason }` to end the workflow early as `stopped`. */
export type BuiltinFn = (params: unknown, ctx: BuiltinContext) => Promise<unknown>;

/** The AMC document's progress_update message. */
export interface ProgressUpdate {
  progress_update: {
    workflow_id: string;
    command_type: string;
    /** 0–1: steps done (completed, failed or skipped) over all steps. */
    progress: number;
    current_step: string | null;
    status: RunStatus;
    /** ISO 8601. */
    timestamp: string;
    details: { steps_completed: string[]; steps_failed: string[]; error_messages: string[] };
  };
}

/** The AMC document's error report. */
export interface WorkflowErrorReport {
  error_type: 'workflow_execution_failed' | 'workflow_timed_out';
  error_message: string;
  workflow_id: string;
  /** ISO 8601. */
  timestamp: string;
  /** Where it failed: the step, its attempt and the error code chain. */
  traceback: string;
}

/** A run's status as queried. */
export interface WorkflowStatus {
  workflow_id: string;
  name: string;
  version: string;
  status: RunStatus;
  progress: number;
  current_step: string | null;
  requester: string | null;
  parent_run_id: string | null;
  steps: Record<string, { status: StepStatus; error: string | null }>;
  output: unknown;
  error: SerializedError | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/** Every run's status plus a summary. */
export interface AllWorkflowsStatus {
  workflows: WorkflowStatus[];
  summary: {
    total: number;
    by_status: Record<RunStatus, number>;
    /** Completed over finished (completed, failed, cancelled, timed_out; stopped counts as success). */
    success_rate: number;
  };
}

/** A run queued or running in this engine (see `WorkflowEngine.activeRuns`). */
export interface ActiveRun {
  id: string;
  name: string;
  status: RunStatus;
  parentRunId: string | null;
  /** Its definition's tags. */
  tags: readonly string[];
}

/** Live counters (getSystemStatus's workflow part). */
export interface WorkflowEngineStats {
  active: number;
  queued: number;
  registered: number;
}

/** What became of a step, a `for_each` item or one attempt (the engine's `step` event). */
export interface StepOutcome {
  runId: string;
  /** The run's workflow name. */
  workflow: string;
  stepId: string;
  /** The `for_each` item, or null for the whole step. */
  itemIndex: number | null;
  /** The attempt that ended; null for a skipped step and for a `for_each` step's join. */
  attempt: number | null;
  /**
   * `completed`, `failed`, `skipped`: the step (or, with an `itemIndex`, an item, failed for good)
   * ended so. `retrying`: the attempt failed and another follows after `delayMs`.
   */
  status: 'completed' | 'failed' | 'skipped' | 'retrying';
  error: { code: string; message: string } | null;
  /** Until the next attempt (`retrying` only), else null. */
  delayMs: number | null;
}

/** Typed engine events. */
export interface WorkflowEngineEvents {
  [event: string]: unknown[];
  progress: [update: ProgressUpdate];
  /** A run changed state (queued, running, or a final state); `run` is its record as of now. */
  state: [runId: string, status: RunStatus, run: Readonly<RunRecord>];
  /**
   * A step ended, a `for_each` item failed for good, or an attempt failed and will be retried.
   * Completed `for_each` items are not reported one by one.
   */
  step: [outcome: StepOutcome];
  error_report: [report: WorkflowErrorReport];
  /** The journal or bus failed; the run involved stays unfinished and resumes on the next start. */
  error: [error: unknown];
}
