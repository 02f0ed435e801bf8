import type { AllWorkflowsStatus, WorkflowStatus } from './engine-types.ts';
import { RUN_STATUSES, type RunRecord, type RunStatus, type WorkflowEvent } from '../core/workflow-run.ts';
import { progressOf } from './progress.ts';
import { applyEvent, initialStepStates, type StepState } from './run-state.ts';

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** A run's status as `getWorkflowStatus` reports it. */
export function statusOf(rec: RunRecord, steps: ReadonlyMap<string, StepState>): WorkflowStatus {
  const p = progressOf(steps);
  const stepView: WorkflowStatus['steps'] = {};
  for (const [id, s] of steps) stepView[id] = { status: s.status, error: s.error };
  return {
    workflow_id: rec.id,
    name: rec.name,
    version: rec.version,
    status: rec.status,
    progress: rec.status === 'completed' ? 1 : p.progress,
    current_step: p.currentStep,
    requester: rec.requester,
    parent_run_id: rec.parentRunId,
    steps: stepView,
    output: rec.output,
    error: rec.error,
    created_at: iso(rec.createdAt) ?? '',
    started_at: iso(rec.startedAt),
    finished_at: iso(rec.finishedAt),
  };
}

/** The status of a run that is not live here, rebuilt from its journal. */
export function statusFromHistory(
  rec: RunRecord,
  stepIds: readonly string[] | undefined,
  history: readonly WorkflowEvent[],
): WorkflowStatus {
  const ids = stepIds ?? [...new Set(history.flatMap((e) => (e.stepId === null ? [] : [e.stepId])))];
  const steps = initialStepStates(ids);
  for (const e of history) applyEvent(steps, e);
  return statusOf(rec, steps);
}

/**
 * Every run with counts by state and the success rate: completed (and stopped, which ended as
 * its workflow asked) over every finished run.
 */
export function summarize(workflows: WorkflowStatus[]): AllWorkflowsStatus {
  const byStatus = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
  for (const w of workflows) byStatus[w.status]++;
  const succeeded = byStatus.completed + byStatus.stopped;
  const finished = succeeded + byStatus.failed + byStatus.cancelled + byStatus.timed_out;
  return {
    workflows,
    summary: {
      total: workflows.length,
      by_status: byStatus,
      success_rate: finished === 0 ? 0 : succeeded / finished,
    },
  };
}
