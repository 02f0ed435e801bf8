import type { Clock, TimerHandle } from '../core/clock.ts';
import type { ProgressUpdate, WorkflowErrorReport } from './engine-types.ts';
import type { RunRecord } from '../core/workflow-run.ts';
import type { StepState } from './run-state.ts';

/**
 * Rate-limits a run's progress events: step changes emit at most once per interval (a change
 * inside the interval is sent when it ends, so the last state is never lost), while run state
 * changes always emit at once.
 */
export class ProgressThrottle {
  #lastAt = -Infinity;
  #timer: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly emit: () => void,
  ) {}

  /** A step changed. */
  changed(): void {
    if (this.#timer !== null) return;
    const due = this.#lastAt + this.intervalMs;
    if (this.clock.now() >= due) this.#fire();
    else this.#timer = this.clock.setTimeout(() => this.#fire(), due - this.clock.now());
  }

  /** The run changed state: emit now. */
  stateChanged(): void {
    this.#fire();
  }

  /** Drops a pending trailing event. */
  close(): void {
    if (this.#timer !== null) this.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #fire(): void {
    this.close();
    this.#lastAt = this.clock.now();
    this.emit();
  }
}

/** Fraction done, current step and step lists of a run. */
export function progressOf(steps: ReadonlyMap<string, StepState>): {
  progress: number;
  currentStep: string | null;
  completed: string[];
  failed: string[];
  errors: string[];
} {
  let done = 0;
  let current: { id: string; at: number } | null = null;
  const completed: string[] = [];
  const failed: string[] = [];
  const errors: string[] = [];
  for (const [id, s] of steps) {
    if (s.status === 'completed' || s.status === 'skipped' || s.status === 'failed') done++;
    if (s.status === 'completed') completed.push(id);
    if (s.status === 'failed') {
      failed.push(id);
      errors.push(`${id}: ${s.error ?? 'failed'}`);
    }
    if (s.status === 'running' && (current === null || (s.startedAt ?? 0) >= current.at)) {
      current = { id, at: s.startedAt ?? 0 };
    }
  }
  const progress = steps.size === 0 ? 1 : Math.round((done / steps.size) * 1000) / 1000;
  return { progress, currentStep: current?.id ?? null, completed, failed, errors };
}

/** The AMC progress_update message for a run. */
export function progressUpdate(
  run: RunRecord,
  steps: ReadonlyMap<string, StepState>,
  now: number,
): ProgressUpdate {
  const p = progressOf(steps);
  const errors = [...p.errors];
  if (run.error !== null && !errors.some((e) => e.endsWith(run.error?.message ?? '')))
    errors.push(run.error.message);
  return {
    progress_update: {
      workflow_id: run.id,
      command_type: run.name,
      progress: run.status === 'completed' ? 1 : p.progress,
      current_step: p.currentStep,
      status: run.status,
      timestamp: new Date(now).toISOString(),
      details: { steps_completed: p.completed, steps_failed: p.failed, error_messages: errors },
    },
  };
}

/** The AMC error report for a run that failed or timed out. */
export function errorReport(
  run: RunRecord,
  steps: ReadonlyMap<string, StepState>,
  now: number,
): WorkflowErrorReport {
  const message = run.error?.message ?? run.status;
  const trace = [...steps]
    .filter(([, s]) => s.status === 'failed' || s.status === 'running')
    .map(([id, s]) => {
      const attempts = Math.max(0, ...[...s.units.values()].map((u) => u.attempt));
      return `  at step '${id}' (${s.status}, attempt ${attempts}): ${s.error ?? 'in flight'}`;
    });
  return {
    error_type: run.status === 'timed_out' ? 'workflow_timed_out' : 'workflow_execution_failed',
    error_message: `Workflow ${run.name} failed: ${message}`,
    workflow_id: run.id,
    timestamp: new Date(now).toISOString(),
    traceback: [`${run.error?.code ?? 'INTERNAL'}: ${message}`, ...trace].join('\n'),
  };
}
