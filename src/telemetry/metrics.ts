import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AgentRegistry } from '../agents/registry.ts';
import { BREAKER_STATE_VALUE } from '../dispatch/breaker.ts';
import type { Dispatcher } from '../dispatch/dispatcher.ts';
import type { SignalCoordinator } from '../coordination/coordinator.ts';
import type { WorkflowEngine } from '../workflow/engine.ts';
import { RequestMetrics } from './request-metrics.ts';
import {
  ScrapedCounter,
  ScrapedHistogram,
  type CounterSeries,
  type HistogramSeries,
} from './scraped-metrics.ts';

/** Buckets (seconds) of workflow run durations: decision stages in milliseconds, commands in minutes. */
const WORKFLOW_DURATION_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

/**
 * The `workflow` label of a run: its workflow's name up to the first dot. Strategies
 * (`strategy.<strategy_id>`) and FinAgent step lists (`workflow.<workflow_id>`) are named after
 * what callers send, so they are counted by family (`strategy`, `workflow`); command and other
 * fixed names have no dot and count as themselves. Logs carry the full name.
 */
export function workflowFamily(name: string): string {
  const dot = name.indexOf('.');
  return dot < 0 ? name : name.slice(0, dot);
}

/**
 * Prometheus metrics, named as in the source documents (`orchestrator_*`), plus Conclave's task
 * and workflow metrics. One registry per Conclave; nothing global.
 */
export class ConclaveMetrics {
  readonly registry = new Registry();
  /** Per task: counted without prom-client's per-call label hashing (see scraped-metrics.ts). */
  readonly tasksFinished: ScrapedCounter<'pattern' | 'status'>;
  readonly taskRetries: Counter<'pattern'>;
  readonly taskDuration: ScrapedHistogram<'pattern'>;
  readonly storeCommitErrors: Counter;
  readonly signalsReceived: Counter<'agent'>;
  readonly decisionsMade: Counter<'type'>;
  readonly correlationTimeouts: Counter;
  readonly stateOperations: Counter<'operation'>;
  readonly decisionLatency: Histogram;
  /** 1 while shared state runs on its fallback because Redis is unreachable. */
  readonly stateDegraded: Gauge;
  /** 1 while the bus is connected (always 1 for the in-process bus). */
  readonly busConnected: Gauge;
  /** Callback deliveries that ended: `delivered`, or `failed` for good. */
  readonly callbackDeliveries: Counter<'outcome'>;
  /** Pending callback deliveries a previous process left, picked up on start. */
  readonly callbacksResumed: Counter;
  /** Backtests a previous process left queued or running: `requeued`, or `failed` when they cannot run again. */
  readonly backtestsRecovered: Counter<'outcome'>;
  /** The REST API's requests: `orchestrator_requests_total`, `orchestrator_request_duration_seconds`. */
  readonly requests: RequestMetrics;
  /** Workflow runs that reached a final state, by workflow name and final status. */
  readonly workflowRuns: Counter<'workflow' | 'status'>;
  /** Wall time from start to final state of runs that started, by workflow name. */
  readonly workflowRunDuration: Histogram<'workflow'>;
  /** Workflow steps that ended (completed, failed, skipped), by workflow name and status. */
  readonly workflowSteps: Counter<'workflow' | 'status'>;
  /** Step attempts (or for_each item attempts) that failed and were retried, by workflow name. */
  readonly workflowStepRetries: Counter<'workflow'>;
  /** Workflow journal or bus failures (the run involved resumes on the next start). */
  readonly workflowEngineErrors: Counter;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'conclave_' });
    const registers = [this.registry];
    this.tasksFinished = new ScrapedCounter(this.registry, {
      name: 'conclave_tasks_finished_total',
      help: 'Tasks that reached a final state, by pattern and final status',
      labelNames: ['pattern', 'status'],
    });
    this.taskRetries = new Counter({
      name: 'conclave_task_retries_total',
      help: 'Retries scheduled after a failed attempt',
      labelNames: ['pattern'],
      registers,
    });
    this.taskDuration = new ScrapedHistogram(this.registry, {
      name: 'conclave_task_execution_seconds',
      help: 'Wall time of the final attempt of finished tasks',
      labelNames: ['pattern'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
    });
    this.storeCommitErrors = new Counter({
      name: 'conclave_store_commit_errors_total',
      help: 'Group commits of task state that failed',
      registers,
    });
    this.signalsReceived = new Counter({
      name: 'orchestrator_signals_received_total',
      help: 'Enriched signals received, by agent',
      labelNames: ['agent'],
      registers,
    });
    this.decisionsMade = new Counter({
      name: 'orchestrator_decisions_made_total',
      help: 'Decisions made, by type (action)',
      labelNames: ['type'],
      registers,
    });
    this.correlationTimeouts = new Counter({
      name: 'orchestrator_correlation_timeout_total',
      help: 'Correlations that reached their decision deadline',
      registers,
    });
    this.stateOperations = new Counter({
      name: 'orchestrator_state_operations_total',
      help: 'Shared-state operations, by operation',
      labelNames: ['operation'],
      registers,
    });
    this.decisionLatency = new Histogram({
      name: 'orchestrator_decision_latency_seconds',
      help: 'Time from the first signal of a correlation to its decision',
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300],
      registers,
    });
    this.stateDegraded = new Gauge({
      name: 'conclave_state_degraded',
      help: 'Shared state degraded: 1 while Redis is unreachable and the fallback is in use, else 0',
      registers,
    });
    this.busConnected = new Gauge({
      name: 'conclave_bus_connected',
      help: 'Bus connection: 1 while connected, 0 while reconnecting or closed',
      registers,
    });
    this.callbackDeliveries = new Counter({
      name: 'conclave_callback_deliveries_total',
      help: 'Task callbacks that ended, by outcome (delivered, failed)',
      labelNames: ['outcome'],
      registers,
    });
    this.callbacksResumed = new Counter({
      name: 'conclave_callback_deliveries_resumed_total',
      help: 'Pending task callbacks left by a previous process and resumed on start',
      registers,
    });
    this.backtestsRecovered = new Counter({
      name: 'conclave_backtests_recovered_total',
      help: 'Backtests left queued or running by a previous process, by outcome (requeued, failed)',
      labelNames: ['outcome'],
      registers,
    });
    this.requests = new RequestMetrics(this.registry);
    this.workflowRuns = new Counter({
      name: 'conclave_workflow_runs_total',
      help: 'Workflow runs that reached a final state, by workflow and final status (completed, stopped, failed, timed_out, cancelled)',
      labelNames: ['workflow', 'status'],
      registers,
    });
    this.workflowRunDuration = new Histogram({
      name: 'conclave_workflow_run_duration_seconds',
      help: 'Wall time of workflow runs from start to final state, by workflow (runs cancelled before starting are left out)',
      labelNames: ['workflow'],
      buckets: WORKFLOW_DURATION_BUCKETS,
      registers,
    });
    this.workflowSteps = new Counter({
      name: 'conclave_workflow_steps_total',
      help: 'Workflow steps that ended, by workflow and status (completed, failed, skipped)',
      labelNames: ['workflow', 'status'],
      registers,
    });
    this.workflowStepRetries = new Counter({
      name: 'conclave_workflow_step_retries_total',
      help: 'Workflow step attempts that failed and were retried, by workflow',
      labelNames: ['workflow'],
      registers,
    });
    this.workflowEngineErrors = new Counter({
      name: 'conclave_workflow_engine_errors_total',
      help: 'Workflow journal or bus failures; the run involved resumes on the next start',
      registers,
    });
  }

  /**
   * Binds the workflow engine's events to the workflow metrics, and counts the runs queued or
   * running now (`conclave_workflow_runs_active`) when scraped.
   * @remarks Labelled by {@link workflowFamily}, never run id, so the series stay bounded even for
   * workflows named after what callers send (strategies, step lists).
   */
  observeWorkflows(engine: Pick<WorkflowEngine, 'events' | 'activeRuns'>): () => void {
    new Gauge({
      name: 'conclave_workflow_runs_active',
      help: 'Workflow runs queued or running, by workflow and status (sub-workflow runs included)',
      labelNames: ['workflow', 'status'],
      registers: [this.registry],
      collect() {
        this.reset();
        const counts = new Map<string, { workflow: string; status: string; n: number }>();
        for (const run of engine.activeRuns()) {
          const workflow = workflowFamily(run.name);
          const key = `${workflow}\u0000${run.status}`;
          const c = counts.get(key);
          if (c === undefined) counts.set(key, { workflow, status: run.status, n: 1 });
          else c.n++;
        }
        for (const c of counts.values()) this.set({ workflow: c.workflow, status: c.status }, c.n);
      },
    });
    // Label children are cached, as for tasks.
    const runs = new Map<string, { inc(): void }>();
    const durations = new Map<string, { observe(v: number): void }>();
    const steps = new Map<string, { inc(): void }>();
    const retries = new Map<string, { inc(): void }>();
    const offs = [
      engine.events.on('state', (_id, status, run) => {
        if (status === 'queued' || status === 'running') return;
        const workflow = workflowFamily(run.name);
        const key = `${workflow}\u0000${status}`;
        let c = runs.get(key);
        if (c === undefined) runs.set(key, (c = this.workflowRuns.labels(workflow, status)));
        c.inc();
        if (run.startedAt === null || run.finishedAt === null) return;
        let h = durations.get(workflow);
        if (h === undefined) durations.set(workflow, (h = this.workflowRunDuration.labels(workflow)));
        h.observe((run.finishedAt - run.startedAt) / 1000);
      }),
      engine.events.on('step', (s) => {
        const workflow = workflowFamily(s.workflow);
        if (s.status === 'retrying') {
          let r = retries.get(workflow);
          if (r === undefined) retries.set(workflow, (r = this.workflowStepRetries.labels(workflow)));
          r.inc();
          return;
        }
        // An item's own failure is not a step's end: its step reports once it has joined its items.
        if (s.itemIndex !== null) return;
        const key = `${workflow}\u0000${s.status}`;
        let c = steps.get(key);
        if (c === undefined) steps.set(key, (c = this.workflowSteps.labels(workflow, s.status)));
        c.inc();
      }),
      engine.events.on('error', () => this.workflowEngineErrors.inc()),
    ];
    return () => offs.forEach((off) => off());
  }

  /** Binds the signal coordinator's events to the at-orchestrator document's metrics. */
  observeCoordinator(coordinator: SignalCoordinator): () => void {
    const offs = [
      coordinator.on('signal_received', (agent) => this.signalsReceived.labels(agent).inc()),
      coordinator.on('decision', (type, latencyMs) => {
        this.decisionsMade.labels(type).inc();
        this.decisionLatency.observe(latencyMs / 1000);
      }),
      coordinator.on('timeout', () => this.correlationTimeouts.inc()),
    ];
    return () => offs.forEach((off) => off());
  }

  /** Binds the dispatcher's and the registry's live state and events to metrics. */
  observe(dispatcher: Dispatcher, agents: AgentRegistry): () => void {
    const registers = [this.registry];
    new Gauge({
      name: 'orchestrator_active_tasks',
      help: 'Agent calls in flight',
      registers,
      collect() {
        this.set(dispatcher.stats().inFlight);
      },
    });
    new Gauge({
      name: 'orchestrator_queue_size',
      help: 'Tasks waiting to run, by priority (5 most urgent)',
      labelNames: ['priority'],
      registers,
      collect() {
        const byPriority = dispatcher.stats().queuedByPriority;
        for (const p of [1, 2, 3, 4, 5] as const) this.set({ priority: String(p) }, byPriority[p]);
      },
    });
    new Gauge({
      name: 'orchestrator_agent_health',
      help: 'Agent health: 1 when it takes work (running or error), else 0',
      labelNames: ['agent'],
      registers,
      collect() {
        this.reset();
        for (const a of agents.list()) this.set({ agent: a.name }, agents.isAvailable(a.name) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'orchestrator_circuit_breaker_state',
      help: 'Circuit breaker state per agent: 0 closed, 1 half-open, 2 open',
      labelNames: ['agent'],
      registers,
      collect() {
        this.reset();
        for (const [agent, b] of Object.entries(dispatcher.breakers()))
          this.set({ agent }, BREAKER_STATE_VALUE[b.state]);
      },
    });
    new Gauge({
      name: 'conclave_agents',
      help: 'Registered agents by status',
      labelNames: ['status'],
      registers,
      collect() {
        const c = agents.statusCounts();
        for (const s of ['running', 'error', 'offline', 'disabled'] as const) this.set({ status: s }, c[s]);
      },
    });
    new Gauge({
      name: 'conclave_tasks_retry_waiting',
      help: 'Tasks waiting out a retry backoff',
      registers,
      collect() {
        this.set(dispatcher.stats().retryWaiting);
      },
    });

    // Label children are cached: prom-client hashes label values on every lookup.
    const finished = new Map<string, CounterSeries<'pattern' | 'status'>>();
    const durations = new Map<string, HistogramSeries<'pattern'>>();
    const offs = [
      dispatcher.events.on('finished', (t) => {
        const key = `${t.pattern}\u0000${t.status}`;
        let c = finished.get(key);
        if (c === undefined)
          finished.set(key, (c = this.tasksFinished.series(key, { pattern: t.pattern, status: t.status })));
        c.inc();
        if (t.executionMs !== null) {
          let h = durations.get(t.pattern);
          if (h === undefined)
            durations.set(t.pattern, (h = this.taskDuration.series(t.pattern, { pattern: t.pattern })));
          h.observe(t.executionMs / 1000);
        }
      }),
      dispatcher.events.on('retrying', (t) => this.taskRetries.labels(t.pattern).inc()),
      dispatcher.events.on('store_error', () => this.storeCommitErrors.inc()),
    ];
    return () => offs.forEach((off) => off());
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
