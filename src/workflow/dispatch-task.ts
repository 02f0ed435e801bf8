import { ConclaveError, isConclaveError } from '../core/errors.ts';
import type { Dispatcher } from '../dispatch/dispatcher.ts';
import type { SubmitInput } from '../dispatch/submit-schema.ts';

/** What runs a workflow step's work on an agent. */
export type StepDispatcher = Pick<Dispatcher, 'get' | 'submit' | 'cancel' | 'wait'>;

/** One call of a capability on behalf of a workflow step. */
export interface StepTask {
  /** Deterministic per step attempt, so a resumed attempt rejoins its task. */
  taskId: string;
  stepId: string;
  input: SubmitInput;
  /** Aborts the call: the task is cancelled (on shutdown it is left to rejoin on resume). */
  signal: AbortSignal;
  /**
   * The task may already exist (a resumed attempt): the dispatcher is asked first. A submit with
   * an id the store already holds would fail the whole group-commit batch it lands in, so a
   * caller that cannot rule that out must say so.
   */
  mayExist: boolean;
  /** Prefixed to the task's error message, if given. */
  label?: string;
}

/**
 * Submits a step's task (unless it exists already), waits for its outcome and returns its result;
 * a failed task becomes a ConclaveError keeping the task's code and retryability.
 */
export async function runStepTask(dispatcher: StepDispatcher, t: StepTask): Promise<unknown> {
  const { taskId, signal } = t;
  if (!t.mayExist || (await dispatcher.get(taskId)) === undefined) {
    try {
      await dispatcher.submit(t.input, { id: taskId });
    } catch (err) {
      // Only a task submitted by this very attempt can conflict here (a lost race): rejoin it.
      if (!isConclaveError(err, 'CONFLICT')) throw err;
    }
  }
  const onAbort = (): void => {
    // On shutdown the task is left to the dispatcher: the resumed run rejoins it by its id.
    if (isConclaveError(signal.reason, 'SHUTTING_DOWN')) return;
    dispatcher.cancel(taskId, `workflow step '${t.stepId}' aborted`);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    const rec = await dispatcher.wait(taskId);
    if (rec.status === 'completed') return rec.result;
    const e = rec.error;
    const message = e?.message ?? `task ${taskId} ${rec.status}`;
    throw new ConclaveError(
      e?.code ?? 'AGENT_ERROR',
      t.label === undefined ? message : `${t.label}: ${message}`,
      {
        ...(e === null ? {} : { retryable: e.retryable }),
        details: { task_id: taskId },
      },
    );
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
