import { sleep, type Clock, type TimerHandle } from '../core/clock.ts';
import { ConclaveError, serializeError, toConclaveError } from '../core/errors.ts';
import type { StepOutcome, WorkflowEngineOptions } from './engine-types.ts';
import type { WorkflowJournal } from './journal.ts';
import type { RunRecord, RunStatus, RunUpdate, WorkflowEvent } from '../core/workflow-run.ts';
import { joinItems } from './join.ts';
import { isStopResult, type StepDefinition } from './model.ts';
import { lookupPath } from './references.ts';
import { WHOLE_STEP, applyEvent, contextOf, initialStepStates, unitOf, type StepState } from './run-state.ts';
import { executeAttempt, type ExecutorDeps } from './step-executor.ts';
import { idempotencyKey } from './step-ids.ts';
import type { ValidatedWorkflow } from './validate.ts';
import {
  activeContext,
  endSpan,
  startTraced,
  tracingEnabled,
  type Context,
  type Traced,
} from '../telemetry/spans.ts';

/** What a driver needs from its engine. */
export interface DriverHost {
  clock: Clock;
  journal: WorkflowJournal;
  options: WorkflowEngineOptions;
  executor: ExecutorDeps;
  /** A step changed (`state` false) or the run changed state (`state` true). */
  changed(driver: RunDriver, state: boolean): void;
  /** A step's outcome, once journaled (see {@link StepOutcome}). */
  step(outcome: StepOutcome): void;
  /** The run reached a final state (journaled), or was suspended (`rec.status` still live). */
  ended(driver: RunDriver): void;
  /** The journal failed: the run is suspended in memory and resumes on the next start. */
  failed(driver: RunDriver, error: unknown): void;
}

type Final = Exclude<RunStatus, 'queued' | 'running'>;

/**
 * Executes one run: schedules steps whose dependencies are done, journals every transition before
 * acting on it, and ends the run exactly once. Built from a run's journaled events, it resumes
 * where they stop: completed and skipped steps are kept, in-flight attempts are rejoined (task
 * steps by their deterministic dispatcher id) or run again.
 */
export class RunDriver {
  readonly steps: Map<string, StepState>;
  readonly done: Promise<RunRecord>;
  #resolveDone!: (rec: RunRecord) => void;
  readonly #abort = new AbortController();
  readonly #launched = new Set<string>();
  #ended = false;
  #timer: TimerHandle | null = null;
  /** Where the run's span goes (the starter's context), when tracing is on. */
  readonly #traceParent: Context | undefined;
  #trace: Traced | undefined;

  /** `traceParent`: the context the run was started in, if not the active one (a queued run). */
  constructor(
    readonly rec: RunRecord,
    readonly wf: ValidatedWorkflow,
    private readonly host: DriverHost,
    history: readonly WorkflowEvent[] = [],
    traceParent?: Context,
  ) {
    this.#traceParent = tracingEnabled() ? (traceParent ?? activeContext()) : undefined;
    this.steps = initialStepStates(wf.order.map((s) => s.id));
    for (const e of history) applyEvent(this.steps, e);
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
  }

  /** True once the run ended or was suspended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Starts (or resumes) the run. */
  async start(): Promise<void> {
    const { clock } = this.host;
    if (this.#traceParent !== undefined) {
      const attributes = { 'conclave.workflow_id': this.rec.id, 'conclave.workflow': this.rec.name };
      this.#trace ??= startTraced('workflow.run', attributes, this.#traceParent);
    }
    if (this.rec.status === 'queued') {
      const now = clock.now();
      const timeoutMs = this.wf.definition.timeoutMs ?? this.host.options.workflowTimeoutMs;
      const update: RunUpdate = {
        status: 'running',
        startedAt: now,
        deadlineAt: now + timeoutMs,
        updatedAt: now,
      };
      await this.host.journal.append(this.#event('run_started', null, null, null, {}), update);
      Object.assign(this.rec, update);
    }
    this.host.changed(this, true);
    const left = (this.rec.deadlineAt ?? Infinity) - clock.now();
    if (left <= 0) return this.#end('timed_out', { error: this.#timeoutError() });
    if (Number.isFinite(left)) {
      this.#timer = clock.setTimeout(
        () => void this.#end('timed_out', { error: this.#timeoutError() }),
        left,
      );
    }
    this.#schedule();
  }

  /** Ends the run as `cancelled`: running builtins see their signal abort, task steps are cancelled. */
  cancel(reason: string): Promise<void> {
    return this.#end('cancelled', { error: new ConclaveError('CANCELLED', `workflow cancelled: ${reason}`) });
  }

  /** Ends the run as `failed` with `error` (e.g. its definition cannot be resolved on resume). */
  fail(error: ConclaveError): Promise<void> {
    return this.#end('failed', { error });
  }

  /** Stops executing without journaling anything (shutdown): the run resumes on the next start. */
  suspend(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#clearTimer();
    this.#abort.abort(new ConclaveError('SHUTTING_DOWN', 'the workflow engine is closing'));
    this.#endTrace('suspended');
    this.host.ended(this);
  }

  #schedule(): void {
    if (this.#ended) return;
    const terminal = (id: string): boolean => {
      const s = this.steps.get(id)?.status;
      return s === 'completed' || s === 'skipped';
    };
    for (const step of this.wf.order) {
      const state = this.steps.get(step.id);
      if (state === undefined || this.#launched.has(step.id)) continue;
      if (state.status === 'completed' || state.status === 'skipped' || state.status === 'failed') continue;
      if (state.status === 'pending' && !(step.dependsOn ?? []).every(terminal)) continue;
      this.#launched.add(step.id);
      void this.#runStep(step, state).catch((err: unknown) => this.#stepFailed(err));
    }
    if (this.wf.order.every((s) => terminal(s.id))) {
      const output: Record<string, unknown> = {};
      for (const [id, s] of this.steps) if (s.status === 'completed') output[id] = s.result;
      void this.#end('completed', { output });
    }
  }

  async #runStep(step: StepDefinition, state: StepState): Promise<void> {
    const ctx = contextOf(this.rec.input, this.steps);
    if (state.status === 'pending') {
      const condition = this.wf.conditions.get(step.id);
      if (condition !== undefined && !condition(ctx)) {
        await this.#append(
          this.#event('step_skipped', step.id, null, null, { reason: 'condition is false' }),
        );
        this.#report(step.id, null, null, 'skipped');
        return this.#schedule();
      }
      // A for_each step journals its scheduling with its item count, once the items are known.
      if (step.forEach === undefined)
        await this.#append(this.#event('step_scheduled', step.id, null, null, {}));
    }
    let result: unknown;
    const f = step.forEach;
    if (f === undefined) {
      result = await this.#runUnit(step, state, null, undefined, this.#abort.signal);
    } else {
      try {
        const items = lookupPath(ctx, f.items);
        if (!Array.isArray(items)) {
          throw new ConclaveError('VALIDATION_FAILED', `for_each.items '${f.items}' is not a list`, {
            retryable: false,
          });
        }
        if (state.itemCount === null) {
          await this.#append(this.#event('step_scheduled', step.id, null, null, { items: items.length }));
        }
        const branch = new AbortController();
        const onRunAbort = (): void => branch.abort(this.#abort.signal.reason);
        this.#abort.signal.addEventListener('abort', onRunAbort, { once: true });
        try {
          result = await joinItems(
            items.length,
            f,
            (i) => this.#runUnit(step, state, i, items[i], branch.signal),
            () => branch.abort(new ConclaveError('CANCELLED', `step '${step.id}' joined`)),
          );
        } finally {
          this.#abort.signal.removeEventListener('abort', onRunAbort);
        }
      } catch (err) {
        const e = toConclaveError(err);
        if (!this.#ended && !isJournalFailure(err)) {
          await this.#append(
            this.#event('step_failed', step.id, null, null, { error: e.message, code: e.code, final: true }),
          );
          this.#report(step.id, null, null, 'failed', e);
        }
        throw e;
      }
      await this.#append(this.#event('step_completed', step.id, null, null, { result }));
      this.#report(step.id, null, null, 'completed');
    }
    if (isStopResult(result)) {
      const { reason, details } = result;
      return this.#end('stopped', {
        output: { stopped_at: step.id, reason, ...(details === undefined ? {} : { details }) },
      });
    }
    this.#schedule();
  }

  /** Runs one unit through its attempts; resolves with its result or rejects after journaling the final failure. */
  async #runUnit(
    step: StepDefinition,
    state: StepState,
    index: number | null,
    item: unknown,
    signal: AbortSignal,
  ): Promise<unknown> {
    const unit = unitOf(state, index ?? WHOLE_STEP);
    if (unit.status === 'completed') return unit.result;
    if (unit.status === 'failed')
      throw new ConclaveError('AGENT_ERROR', unit.error ?? 'failed', { retryable: false });
    const policy = { ...this.host.options.defaultRetry, ...step.retry };
    const key = idempotencyKey(this.rec.id, step.id, index);
    // A resumed in-flight attempt runs again under the same number (so a task step rejoins its task).
    let attempt = unit.status === 'running' ? unit.attempt : unit.attempt + 1;
    for (;;) {
      // An attempt found in flight (journaled as started by a previous process) is resumed.
      const resumed = unit.status === 'running' && unit.attempt === attempt;
      if (!resumed) {
        await this.#append(this.#event('step_started', step.id, index, attempt, { idempotency_key: key }));
      }
      const ctx = { ...contextOf(this.rec.input, this.steps), ...(index === null ? {} : { item }) };
      const timeoutMs = step.timeoutMs ?? this.host.options.defaultStepTimeoutMs;
      let outcome: { ok: true; result: unknown } | { ok: false; error: unknown };
      try {
        const result = await executeAttempt(
          {
            runId: this.rec.id,
            step,
            index,
            attempt,
            idempotencyKey: key,
            ctx,
            timeoutMs,
            signal,
            resumed,
            trace: this.#trace?.context,
          },
          this.host.executor,
        );
        outcome = { ok: true, result };
      } catch (error) {
        outcome = { ok: false, error };
      }
      // Journal writes stay outside the try: a failed write must never pass for a failed attempt.
      if (outcome.ok) {
        await this.#append(
          this.#event('step_completed', step.id, index, attempt, { result: outcome.result }),
        );
        // Items are not reported one by one: their step reports once it has joined them.
        if (index === null) this.#report(step.id, null, attempt, 'completed');
        return outcome.result;
      }
      const err = outcome.error;
      const e = toConclaveError(err);
      if (this.#ended || signal.aborted) throw e;
      const retryable = !(err instanceof ConclaveError) || err.retryable;
      const final = !retryable || attempt > policy.maxRetries;
      const data = { error: e.message, code: e.code, final };
      await this.#append(this.#event('step_failed', step.id, index, attempt, data));
      if (final) {
        this.#report(step.id, index, attempt, 'failed', e);
        throw e;
      }
      const delayMs = policy.delayMs * policy.backoffMultiplier ** (attempt - 1);
      this.#report(step.id, index, attempt, 'retrying', e, delayMs);
      await sleep(this.host.clock, delayMs, signal);
      attempt++;
    }
  }

  #stepFailed(err: unknown): void {
    if (this.#ended) return;
    if (isJournalFailure(err)) return this.#lost(err);
    void this.#end('failed', { error: toConclaveError(err) });
  }

  async #end(status: Final, out: { output?: unknown; error?: ConclaveError }): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.#clearTimer();
    const now = this.host.clock.now();
    const error = out.error === undefined ? null : serializeError(out.error);
    const update: RunUpdate = {
      status,
      finishedAt: now,
      updatedAt: now,
      output: out.output ?? null,
      ...(error === null ? {} : { error }),
    };
    try {
      await this.host.journal.append(
        this.#event(`run_${status}`, null, null, null, { error, output: out.output ?? null }),
        update,
      );
    } catch (err) {
      return this.#lost(err);
    }
    Object.assign(this.rec, update);
    this.#endTrace(status, status === 'completed' || status === 'stopped' ? undefined : out.error);
    this.#abort.abort(out.error ?? new ConclaveError('CANCELLED', `workflow ${status}`));
    this.host.changed(this, true);
    this.host.ended(this);
    this.#resolveDone(this.rec);
  }

  /** The journal failed: stop in memory; the run's journal is still consistent up to the last commit. */
  #lost(err: unknown): void {
    this.#ended = true;
    this.#clearTimer();
    this.#abort.abort(new ConclaveError('SHUTTING_DOWN', 'workflow journal unavailable'));
    this.#endTrace('lost', err);
    this.host.failed(this, err);
  }

  #endTrace(status: string, error?: unknown): void {
    if (this.#trace === undefined) return;
    endSpan(this.#trace.span, error, { 'conclave.status': status });
    this.#trace = undefined;
  }

  /** Journals an event, then applies it (unless the run ended meanwhile: then nothing more is acted on). */
  async #append(event: Omit<WorkflowEvent, 'seq'>): Promise<void> {
    if (this.#ended) throw new ConclaveError('CANCELLED', 'the run has ended');
    let committed: WorkflowEvent;
    try {
      committed = await this.host.journal.append(event);
    } catch (err) {
      throw new ConclaveError(
        'STORE_ERROR',
        `journal write failed: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err, details: { journal: true } },
      );
    }
    if (this.#ended) throw new ConclaveError('CANCELLED', 'the run has ended');
    applyEvent(this.steps, committed);
    this.host.changed(this, false);
  }

  #report(
    stepId: string,
    itemIndex: number | null,
    attempt: number | null,
    status: StepOutcome['status'],
    error?: ConclaveError,
    delayMs?: number,
  ): void {
    this.host.step({
      runId: this.rec.id,
      workflow: this.rec.name,
      stepId,
      itemIndex,
      attempt,
      status,
      error: error === undefined ? null : { code: error.code, message: error.message },
      delayMs: delayMs ?? null,
    });
  }

  #event(
    type: WorkflowEvent['type'],
    stepId: string | null,
    itemIndex: number | null,
    attempt: number | null,
    data: Record<string, unknown>,
  ): Omit<WorkflowEvent, 'seq'> {
    return { runId: this.rec.id, type, stepId, itemIndex, attempt, data, at: this.host.clock.now() };
  }

  #timeoutError(): ConclaveError {
    const ms = (this.rec.deadlineAt ?? 0) - (this.rec.startedAt ?? 0);
    return new ConclaveError('TIMEOUT', `workflow ${this.rec.name} timed out after ${ms} ms`, {
      retryable: false,
    });
  }

  #clearTimer(): void {
    if (this.#timer !== null) this.host.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }
}

/** A journal write failed (as opposed to a step that failed with a store error of its own). */
function isJournalFailure(err: unknown): boolean {
  return err instanceof ConclaveError && err.code === 'STORE_ERROR' && err.details.journal === true;
}
