import type { Clock } from '../core/clock.ts';
import { ConclaveError, toConclaveError } from '../core/errors.ts';
import { runStepTask } from './dispatch-task.ts';
import type { JsonObject } from '../core/task.ts';
import type { BuiltinFn, WorkflowEngineDeps } from './engine-types.ts';
import type { StepContext, StepDefinition } from './model.ts';
import { resolveValue } from './references.ts';
import { childRunIdFor, taskIdFor } from './step-ids.ts';
import { withSpan, type Context } from '../telemetry/spans.ts';

/** The longest per-attempt timeout the dispatcher accepts. */
const MAX_TASK_TIMEOUT_MS = 86_400_000;

/** One attempt of one unit (a step, or one item of a for_each step). */
export interface Attempt {
  runId: string;
  step: StepDefinition;
  /** Item index, or null. */
  index: number | null;
  attempt: number;
  idempotencyKey: string;
  ctx: StepContext;
  timeoutMs: number;
  /** The run's signal: aborts on run timeout, cancel, or the end of the run. */
  signal: AbortSignal;
  /**
   * A resumed attempt that was in flight when the process stopped: its task may already exist.
   * Only then is the dispatcher asked first (a store read); a fresh attempt's id is new.
   */
  resumed: boolean;
  /** The run's trace context, when tracing is on: the attempt gets a `workflow.step` span under it. */
  trace?: Context | undefined;
}

/** What attempts run against. */
export interface ExecutorDeps {
  clock: Clock;
  dispatcher: WorkflowEngineDeps['dispatcher'];
  builtin(name: string): BuiltinFn | undefined;
  /** Runs (or, on resume, rejoins) the child run `childId`; resolves with its output. */
  runChild(
    childId: string,
    name: string,
    input: unknown,
    parentRunId: string,
    signal: AbortSignal,
  ): Promise<unknown>;
}

/**
 * Runs one attempt under its timeout. The attempt's signal aborts on the timeout or the run's
 * signal; the attempt then rejects at once with `TIMEOUT` or the run's reason, whatever the work
 * does later (a task is cancelled in the dispatcher, a builtin sees its signal).
 */
export function executeAttempt(a: Attempt, deps: ExecutorDeps): Promise<unknown> {
  if (a.trace === undefined) return attemptUnderTimeout(a, deps);
  const attributes = {
    'conclave.workflow_id': a.runId,
    'conclave.step_id': a.step.id,
    'conclave.step_kind': a.step.kind,
    'conclave.attempt': a.attempt,
    ...(a.index === null ? {} : { 'conclave.item_index': a.index }),
  };
  // The span is active while the step runs, so a task step's dispatch span is its child.
  return withSpan('workflow.step', attributes, () => attemptUnderTimeout(a, deps), a.trace);
}

async function attemptUnderTimeout(a: Attempt, deps: ExecutorDeps): Promise<unknown> {
  const controller = new AbortController();
  const onRunAbort = (): void => controller.abort(a.signal.reason);
  if (a.signal.aborted) throw toConclaveError(a.signal.reason, 'CANCELLED');
  a.signal.addEventListener('abort', onRunAbort, { once: true });
  const timer = deps.clock.setTimeout(() => {
    controller.abort(
      new ConclaveError(
        'TIMEOUT',
        `step '${a.step.id}' timed out after ${a.timeoutMs} ms (attempt ${a.attempt})`,
      ),
    );
  }, a.timeoutMs);
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener(
      'abort',
      () => reject(toConclaveError(controller.signal.reason, 'CANCELLED')),
      {
        once: true,
      },
    );
  });
  aborted.catch(() => undefined);
  try {
    return await Promise.race([run(a, deps, controller.signal), aborted]);
  } finally {
    deps.clock.clearTimeout(timer);
    a.signal.removeEventListener('abort', onRunAbort);
    if (!controller.signal.aborted) controller.abort(new ConclaveError('CANCELLED', 'attempt over'));
  }
}

async function run(a: Attempt, deps: ExecutorDeps, signal: AbortSignal): Promise<unknown> {
  const { step } = a;
  switch (step.kind) {
    case 'builtin': {
      const fn = deps.builtin(step.builtin ?? '');
      if (fn === undefined)
        throw new ConclaveError('VALIDATION_FAILED', `unknown builtin '${step.builtin ?? ''}'`);
      const params = resolveValue(step.params ?? {}, a.ctx);
      return fn(params, {
        ...a.ctx,
        runId: a.runId,
        stepId: step.id,
        idempotencyKey: a.idempotencyKey,
        attempt: a.attempt,
        signal,
      });
    }
    case 'task':
      return runTask(a, deps, signal);
    case 'workflow': {
      const input = resolveValue(step.input ?? {}, a.ctx);
      const childId = childRunIdFor(a.runId, step.id, a.index, a.attempt);
      return deps.runChild(childId, step.workflow ?? '', input, a.runId, signal);
    }
  }
}

/**
 * Sends a task step through the dispatcher under a deterministic task id. If the dispatcher already
 * has that task (a restart after the submit), its outcome is taken instead of submitting again.
 */
async function runTask(a: Attempt, deps: ExecutorDeps, signal: AbortSignal): Promise<unknown> {
  const { dispatcher } = deps;
  const payload = resolveValue(a.step.payload ?? {}, a.ctx);
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new ConclaveError(
      'VALIDATION_FAILED',
      `step '${a.step.id}': payload must resolve to a JSON object`,
      {
        retryable: false,
      },
    );
  }
  const taskId = taskIdFor(a.runId, a.step.id, a.index, a.attempt);
  const metadata: JsonObject = {
    workflow_run_id: a.runId,
    workflow_step_id: a.step.id,
    idempotency_key: a.idempotencyKey,
    ...(a.index === null ? {} : { item_index: a.index }),
  };
  return runStepTask(dispatcher, {
    taskId,
    stepId: a.step.id,
    input: {
      pattern: a.step.pattern ?? '',
      payload: payload as JsonObject,
      metadata,
      // The dispatcher accepts at most a day per attempt; the step's own timer covers the rest.
      timeoutMs: Math.min(a.timeoutMs, MAX_TASK_TIMEOUT_MS),
      maxRetries: 0,
    },
    signal,
    mayExist: a.resumed,
  });
}
