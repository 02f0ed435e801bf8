import type { WorkflowEvent } from '../core/workflow-run.ts';
import type { StepContext, StepStatus } from './model.ts';

/** One execution unit: a whole step, or one item of a for_each step. */
export interface UnitState {
  status: 'pending' | 'running' | 'retry_wait' | 'completed' | 'failed';
  /** Last attempt started (0 before the first). */
  attempt: number;
  result: unknown;
  error: string | null;
}

/** A step's state within a run. */
export interface StepState {
  status: StepStatus;
  result: unknown;
  error: string | null;
  /** Items of a for_each step, once known. */
  itemCount: number | null;
  /** Units by item index (-1 for a step without for_each). */
  units: Map<number, UnitState>;
  startedAt: number | null;
}

/** Index of the single unit of a step without for_each. */
export const WHOLE_STEP = -1;

/** A fresh state for every step. */
export function initialStepStates(stepIds: readonly string[]): Map<string, StepState> {
  return new Map(
    stepIds.map((id) => [
      id,
      {
        status: 'pending',
        result: undefined,
        error: null,
        itemCount: null,
        units: new Map(),
        startedAt: null,
      },
    ]),
  );
}

/** The unit's state, created pending on first use. */
export function unitOf(step: StepState, index: number): UnitState {
  let unit = step.units.get(index);
  if (unit === undefined) {
    unit = { status: 'pending', attempt: 0, result: undefined, error: null };
    step.units.set(index, unit);
  }
  return unit;
}

/**
 * Applies one journaled event to the step states. Used both live (after the event commits) and on
 * resume (replaying a run's events in order), so both see the same state.
 */
export function applyEvent(steps: Map<string, StepState>, e: WorkflowEvent): void {
  if (e.stepId === null) return;
  const step = steps.get(e.stepId);
  if (step === undefined) return;
  const index = e.itemIndex ?? WHOLE_STEP;
  const perItem = e.itemIndex !== null;
  switch (e.type) {
    case 'step_scheduled':
      step.status = 'running';
      step.startedAt ??= e.at;
      if (typeof e.data.items === 'number') step.itemCount = e.data.items;
      break;
    case 'step_started': {
      step.status = 'running';
      step.startedAt ??= e.at;
      const unit = unitOf(step, index);
      unit.status = 'running';
      unit.attempt = e.attempt ?? unit.attempt + 1;
      break;
    }
    case 'step_completed':
      if (perItem)
        Object.assign(unitOf(step, index), { status: 'completed', result: e.data.result, error: null });
      else {
        step.status = 'completed';
        step.result = e.data.result;
        step.error = null;
        const unit = step.units.get(WHOLE_STEP);
        if (unit !== undefined) Object.assign(unit, { status: 'completed', result: e.data.result });
      }
      break;
    case 'step_failed': {
      const error = typeof e.data.error === 'string' ? e.data.error : 'failed';
      const final = e.data.final === true;
      if (perItem || e.attempt !== null) {
        const unit = unitOf(step, index);
        unit.status = final ? 'failed' : 'retry_wait';
        unit.error = error;
      }
      if (!perItem && final) {
        step.status = 'failed';
        step.error = error;
      }
      break;
    }
    case 'step_skipped':
      step.status = 'skipped';
      break;
    default:
      break;
  }
}

/** The context conditions and references see. */
export function contextOf(input: unknown, steps: ReadonlyMap<string, StepState>): StepContext {
  const view: StepContext['steps'] = {};
  for (const [id, s] of steps) view[id] = { status: s.status, result: s.result, error: s.error };
  return { input, steps: view };
}
