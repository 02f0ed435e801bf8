import { systemClock, type Clock } from '../core/clock.ts';
import { ConclaveError, ValidationError, toConclaveError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { TypedEmitter } from '../core/typed-emitter.ts';
import { parseWorkflowDocument } from './definition-schema.ts';
import { WorkflowDefinitions } from './definitions.ts';
import type {
  ActiveRun,
  AllWorkflowsStatus,
  BuiltinFn,
  WorkflowEngineDeps,
  WorkflowEngineEvents,
  WorkflowEngineOptions,
  WorkflowEngineStats,
  WorkflowStatus,
} from './engine-types.ts';
import { WorkflowJournal } from './journal.ts';
import { FINAL_RUN_STATUSES, type RunRecord } from '../core/workflow-run.ts';
import type { WorkflowDefinition } from './model.ts';
import { ProgressThrottle, errorReport, progressUpdate } from './progress.ts';
import { RunDriver, type DriverHost } from './run-driver.ts';
import { childOutcome, newRunRecord } from './run-record.ts';
import { initialStepStates, type StepState } from './run-state.ts';
import type { ExecutorDeps } from './step-executor.ts';
import { statusFromHistory, statusOf, summarize } from './status.ts';
import type { ValidatedWorkflow } from './validate.ts';
import { activeContext, tracingEnabled, type Context } from '../telemetry/spans.ts';

/** Options for {@link WorkflowEngine.start}. */
export interface StartOptions {
  /** Who asked: progress goes to `workflow.progress.<requester>`. Default `system`. */
  requester?: string;
  parentRunId?: string;
}

const REQUESTER = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * The durable workflow engine: registers definitions and builtins, admits runs up to
 * `maxConcurrentWorkflows` (the rest wait in a bounded FIFO queue), executes them through
 * {@link RunDriver}s, reports progress and status, and resumes unfinished runs after a restart.
 * @remarks Sub-workflow runs do not take a concurrency slot: their parent holds one already, and
 * making children wait for slots their parents occupy could deadlock the engine.
 */
export class WorkflowEngine {
  readonly events = new TypedEmitter<WorkflowEngineEvents>();
  readonly #o: WorkflowEngineOptions;
  readonly #deps: WorkflowEngineDeps;
  readonly #clock: Clock;
  readonly #journal: WorkflowJournal;
  readonly #registry: WorkflowDefinitions;
  readonly #drivers = new Map<string, RunDriver>();
  readonly #throttles = new Map<string, ProgressThrottle>();
  /** `trace`: the starter's context, so a run started later still continues its starter's trace. */
  readonly #queue: { rec: RunRecord; wf: ValidatedWorkflow; trace?: Context | undefined }[] = [];
  /** Waiters of runs still queued; handed to the run's driver when it starts. */
  readonly #queuedWaiters = new Map<string, ((rec: RunRecord) => void)[]>();
  /** Top-level runs holding a concurrency slot. */
  readonly #active = new Set<string>();
  #closing = false;
  /** Runs whose creation is being journaled. */
  #admitting = 0;
  readonly #host: DriverHost;

  constructor(options: WorkflowEngineOptions, deps: WorkflowEngineDeps) {
    this.#o = options;
    this.#deps = deps;
    this.#clock = deps.clock ?? systemClock;
    this.#journal = new WorkflowJournal(deps.store.workflows);
    this.#registry = new WorkflowDefinitions(deps.hasPattern);
    const executor: ExecutorDeps = {
      clock: this.#clock,
      dispatcher: deps.dispatcher,
      builtin: (name) => this.#registry.builtin(name),
      runChild: (id, name, input, parent, signal) => this.#runChild(id, name, input, parent, signal),
    };
    this.#host = {
      clock: this.#clock,
      journal: this.#journal,
      options,
      executor,
      changed: (d, state) => this.#changed(d, state),
      step: (outcome) => this.events.emit('step', outcome),
      ended: (d) => this.#ended(d),
      failed: (d, err) => {
        this.events.emit('error', err);
        this.#ended(d);
      },
    };
  }

  /** Registers a builtin step function (before definitions that use it). */
  registerBuiltin(name: string, fn: BuiltinFn): void {
    this.#registry.addBuiltin(name, fn);
  }

  /** Parses (`parseWorkflowDocument`) and registers a YAML/JSON workflow document, as text or parsed. */
  registerDocument(document: unknown): ValidatedWorkflow {
    return this.register(parseWorkflowDocument(document));
  }

  /**
   * Validates and registers a definition; throws a `ValidationError` naming the step when it is
   * invalid. The latest registered version of a name is the one `start` runs.
   */
  register(def: WorkflowDefinition): ValidatedWorkflow {
    return this.#registry.add(def);
  }

  /**
   * Creates a run and resolves with its id once it is journaled. It starts at once if fewer than
   * `maxConcurrentWorkflows` runs are active, else waits in FIFO order; `QUEUE_FULL` when the
   * queue holds `maxQueuedWorkflows` already (nothing is written then).
   */
  async start(name: string, input: unknown = {}, options: StartOptions = {}): Promise<string> {
    if (this.#closing) throw new ConclaveError('SHUTTING_DOWN', 'the workflow engine is closing');
    const wf = this.#registry.get(name);
    const requester = options.requester ?? null;
    if (requester !== null && !REQUESTER.test(requester)) {
      throw new ValidationError(
        'requester',
        `must be 1–100 letters, digits, _ or -, got ${JSON.stringify(requester)}`,
      );
    }
    // Runs still being journaled count too, so concurrent starts cannot overfill the queue.
    const held = this.#active.size + this.#queue.length + this.#admitting;
    if (held >= this.#o.maxConcurrentWorkflows + this.#o.maxQueuedWorkflows) {
      throw new ConclaveError(
        'QUEUE_FULL',
        `workflow queue is full (${this.#queue.length} of ${this.#o.maxQueuedWorkflows} waiting)`,
        {
          details: { limit: this.#o.maxQueuedWorkflows },
        },
      );
    }
    const now = this.#clock.now();
    const rec = newRunRecord(newId('wf', now), wf, input, requester, options.parentRunId ?? null, now);
    this.#admitting++;
    try {
      await this.#journal.insertRun(rec);
    } finally {
      this.#admitting--;
    }
    this.#queue.push({ rec, wf, trace: tracingEnabled() ? activeContext() : undefined });
    this.events.emit('state', rec.id, 'queued', rec);
    this.#publishProgress(rec, initialSteps(wf));
    this.#pump();
    return rec.id;
  }

  /** Cancels a queued or running run; false when it is unknown or already finished. */
  async cancel(runId: string, reason = 'cancelled'): Promise<boolean> {
    const driver = this.#drivers.get(runId);
    if (driver !== undefined && !driver.ended) {
      await driver.cancel(reason);
      return true;
    }
    const queued = this.#queue.findIndex((q) => q.rec.id === runId);
    if (queued < 0) return false;
    const [entry] = this.#queue.splice(queued, 1);
    if (entry === undefined) return false;
    // Never started: a driver journals the cancel and ends it without running a step.
    const d = new RunDriver(entry.rec, entry.wf, this.#host);
    this.#drivers.set(runId, d);
    this.#handOverWaiters(d);
    await d.cancel(reason);
    return true;
  }

  /** Resolves with a run's record once it has reached a final state. */
  async wait(runId: string): Promise<RunRecord> {
    const driver = this.#drivers.get(runId);
    if (driver !== undefined) return driver.done;
    const queued = this.#queue.find((q) => q.rec.id === runId);
    if (queued !== undefined) {
      return new Promise((resolve) => {
        const waiters = this.#queuedWaiters.get(runId);
        if (waiters === undefined) this.#queuedWaiters.set(runId, [resolve]);
        else waiters.push(resolve);
      });
    }
    const rec = await this.#journal.getRun(runId);
    if (rec === undefined) throw new ConclaveError('NOT_FOUND', `workflow run '${runId}' does not exist`);
    if (FINAL_RUN_STATUSES.has(rec.status)) return rec;
    throw new ConclaveError(
      'CONFLICT',
      `workflow run '${runId}' is unfinished but not running here; call recover()`,
    );
  }

  /** A run's status (live state first, then the journal); `NOT_FOUND` when unknown. */
  async getWorkflowStatus(runId: string): Promise<WorkflowStatus> {
    const live = this.#drivers.get(runId) ?? this.#queue.find((q) => q.rec.id === runId);
    if (live !== undefined)
      return statusOf(live.rec, live instanceof RunDriver ? live.steps : initialSteps(live.wf));
    const rec = await this.#journal.getRun(runId);
    if (rec === undefined) throw new ConclaveError('NOT_FOUND', `workflow run '${runId}' does not exist`);
    return this.#statusFromJournal(rec);
  }

  /** Every run's status with a summary: counts by state and the success rate. */
  async getAllWorkflowsStatus(): Promise<AllWorkflowsStatus> {
    const runs = await this.#journal.listRuns();
    return summarize(await Promise.all(runs.map((r) => this.getWorkflowStatus(r.id))));
  }

  /** Runs queued or running here (sub-workflow runs included), with their definition's tags. */
  activeRuns(): ActiveRun[] {
    const live = [...this.#drivers.values()].filter((d) => !d.ended).map((d) => ({ rec: d.rec, wf: d.wf }));
    return [...live, ...this.#queue].map(({ rec, wf }) => ({
      id: rec.id,
      name: rec.name,
      status: rec.status,
      parentRunId: rec.parentRunId,
      tags: wf.definition.tags ?? [],
    }));
  }

  /** Active and queued runs (for getSystemStatus), and registered definitions. */
  stats(): WorkflowEngineStats {
    return { active: this.#active.size, queued: this.#queue.length, registered: this.#registry.size };
  }

  /**
   * Resumes every unfinished run after a restart: running ones continue from their journal at once
   * (they were admitted before), queued ones wait in their original order. A run whose definition
   * can be neither read from its snapshot nor found registered fails, saying so.
   * Call after registering definitions and builtins, and after `dispatcher.recover()`.
   */
  async recover(): Promise<number> {
    const runs = await this.#journal.listRuns(['queued', 'running']);
    const toStart: RunDriver[] = [];
    for (const rec of runs) {
      if (this.#drivers.has(rec.id) || this.#queue.some((q) => q.rec.id === rec.id)) continue;
      let wf: ValidatedWorkflow;
      try {
        wf = this.#registry.forResume(rec);
      } catch (err) {
        const history = await this.#journal.events(rec.id);
        const empty: ValidatedWorkflow = {
          definition: { name: rec.name, steps: [] },
          order: [],
          byId: new Map(),
          conditions: new Map(),
        };
        const d = new RunDriver(rec, empty, this.#host, history);
        this.#drivers.set(rec.id, d);
        await d.fail(toConclaveError(err));
        continue;
      }
      const history = await this.#journal.events(rec.id);
      if (rec.status === 'queued' && rec.parentRunId === null) {
        this.#queue.push({ rec, wf });
        continue;
      }
      const d = new RunDriver(rec, wf, this.#host, history);
      this.#drivers.set(rec.id, d);
      if (rec.parentRunId === null) this.#active.add(rec.id);
      toStart.push(d);
    }
    // Every driver exists before any starts, so a resumed parent finds its resumed children.
    for (const d of toStart) this.#launch(d);
    this.#pump();
    return runs.length;
  }

  /** Stops admitting runs, suspends the running ones (they resume on the next start) and flushes the journal. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    for (const d of [...this.#drivers.values()]) d.suspend();
    for (const t of this.#throttles.values()) t.close();
    await this.#journal.close();
  }

  #pump(): void {
    while (!this.#closing && this.#active.size < this.#o.maxConcurrentWorkflows) {
      const next = this.#queue.shift();
      if (next === undefined) return;
      const d = new RunDriver(next.rec, next.wf, this.#host, [], next.trace);
      this.#drivers.set(next.rec.id, d);
      this.#active.add(next.rec.id);
      this.#handOverWaiters(d);
      this.#launch(d);
    }
  }

  #handOverWaiters(d: RunDriver): void {
    const waiters = this.#queuedWaiters.get(d.rec.id);
    if (waiters === undefined) return;
    this.#queuedWaiters.delete(d.rec.id);
    void d.done.then((rec) => waiters.forEach((w) => w(rec)));
  }

  #launch(d: RunDriver): void {
    d.start().catch((err: unknown) => {
      // run_started could not be journaled: nothing ran; the run stays queued in the store.
      this.events.emit('error', err);
      d.suspend();
    });
  }

  async #runChild(
    id: string,
    name: string,
    input: unknown,
    parentRunId: string,
    signal: AbortSignal,
  ): Promise<unknown> {
    let driver = this.#drivers.get(id);
    if (driver === undefined) {
      const existing = await this.#journal.getRun(id);
      if (existing !== undefined && FINAL_RUN_STATUSES.has(existing.status)) return childOutcome(existing);
      if (existing !== undefined)
        throw new ConclaveError('CONFLICT', `child run '${id}' is unfinished and not running here`);
      const parent = this.#drivers.get(parentRunId);
      const wf = this.#registry.get(name);
      const requester = parent?.rec.requester ?? null;
      const rec = newRunRecord(id, wf, input, requester, parentRunId, this.#clock.now());
      await this.#journal.insertRun(rec);
      driver = new RunDriver(rec, wf, this.#host);
      this.#drivers.set(id, driver);
      this.events.emit('state', id, 'queued', rec);
      this.#launch(driver);
    }
    const child = driver;
    const onAbort = (): void => {
      const reason = toConclaveError(signal.reason, 'CANCELLED');
      if (reason.code === 'SHUTTING_DOWN') return;
      void child.cancel(`parent run ${parentRunId}: ${reason.message}`);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return childOutcome(await child.done);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  #changed(d: RunDriver, state: boolean): void {
    if (state) this.events.emit('state', d.rec.id, d.rec.status, d.rec);
    let throttle = this.#throttles.get(d.rec.id);
    if (throttle === undefined) {
      throttle = new ProgressThrottle(this.#clock, this.#o.progressUpdateIntervalMs, () =>
        this.#publishProgress(d.rec, d.steps),
      );
      this.#throttles.set(d.rec.id, throttle);
    }
    if (state) throttle.stateChanged();
    else throttle.changed();
  }

  #publishProgress(rec: RunRecord, steps: ReadonlyMap<string, StepState>): void {
    const update = progressUpdate(rec, steps, this.#clock.now());
    this.events.emit('progress', update);
    this.#publish(`workflow.progress.${rec.requester ?? 'system'}`, update);
  }

  #ended(d: RunDriver): void {
    this.#active.delete(d.rec.id);
    this.#journal.forget(d.rec.id);
    this.#drivers.delete(d.rec.id);
    this.#throttles.get(d.rec.id)?.close();
    this.#throttles.delete(d.rec.id);
    if (d.rec.status === 'failed' || d.rec.status === 'timed_out') {
      const report = errorReport(d.rec, d.steps, this.#clock.now());
      this.events.emit('error_report', report);
      this.#publish(`workflow.errors.${d.rec.requester ?? 'system'}`, report);
    }
    this.#pump();
  }

  #publish(subject: string, data: unknown): void {
    this.#deps.bus?.publish(subject, data).catch((err: unknown) => this.events.emit('error', err));
  }

  async #statusFromJournal(rec: RunRecord): Promise<WorkflowStatus> {
    const stepIds = this.#registry.find(rec.name, rec.version)?.order.map((st) => st.id);
    return statusFromHistory(rec, stepIds, await this.#journal.events(rec.id));
  }
}

function initialSteps(wf: ValidatedWorkflow): Map<string, StepState> {
  return initialStepStates(wf.order.map((st) => st.id));
}
