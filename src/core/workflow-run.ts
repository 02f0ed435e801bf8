/** Workflow runs and their journaled transitions, as persisted. */
import type { SerializedError } from './errors.ts';

/** Lifecycle of a run. `queued` and `running` are live; the rest are final. */
export const RUN_STATUSES = [
  'queued',
  'running',
  'completed',
  'failed',
  'cancelled',
  'timed_out',
  'stopped',
] as const;
/** One of {@link RUN_STATUSES}. */
export type RunStatus = (typeof RUN_STATUSES)[number];
/** The states a run ends in. */
export const FINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set([
  'completed',
  'failed',
  'cancelled',
  'timed_out',
  'stopped',
]);

/** Journaled transitions, in the order a run goes through them. */
export type WorkflowEventType =
  | 'run_started'
  | 'step_scheduled'
  | 'step_started'
  | 'step_completed'
  | 'step_failed'
  | 'step_skipped'
  | 'run_completed'
  | 'run_failed'
  | 'run_cancelled'
  | 'run_timed_out'
  | 'run_stopped';

/** A run as persisted: one row of `workflow_runs`. Times are epoch ms. */
export interface RunRecord {
  id: string;
  name: string;
  version: string;
  status: RunStatus;
  input: unknown;
  output: unknown;
  error: SerializedError | null;
  requester: string | null;
  parentRunId: string | null;
  /** JSON snapshot of the definition, or null when it held functions (then it must be registered again to resume). */
  definition: unknown;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  deadlineAt: number | null;
  updatedAt: number;
}

/** Fields of a run that change after it is created. */
export type RunUpdate = Partial<
  Pick<RunRecord, 'status' | 'output' | 'error' | 'startedAt' | 'finishedAt' | 'deadlineAt'>
> &
  Pick<RunRecord, 'updatedAt'>;

/** One journaled transition: a row of `workflow_events`. */
export interface WorkflowEvent {
  runId: string;
  /** 1, 2, … within the run. */
  seq: number;
  type: WorkflowEventType;
  stepId: string | null;
  /** The item of a for_each step, or null. */
  itemIndex: number | null;
  attempt: number | null;
  data: Record<string, unknown>;
  at: number;
}

/**
 * The name of the workflow the sequential decision pattern runs once per decision (registered in
 * wiring/stage-workflow.ts; named here so telemetry can tell its runs apart without importing it).
 */
export const DECISION_STAGES_WORKFLOW = 'decision_stages';
