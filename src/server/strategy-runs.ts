/**
 * Strategy execution behind the FinAgent strategy API: a stored strategy is linked to the durable
 * workflow run executing its plan; POST starts one, GET reads its status, progress and results,
 * DELETE cancels it.
 */
import { z } from 'zod';
import type { Conclave } from '../conclave.ts';
import { ConclaveError, isConclaveError } from '../core/errors.ts';
import type { StrategyRecord } from '../store/index.ts';
import { startStrategy, strategyRunOutput, type TradingStrategy } from '../trading/index.ts';
import { FINAL_RUN_STATUSES, RUN_STATUSES, type RunStatus, type WorkflowStatus } from '../workflow/index.ts';
import { isoTimeSchema, jsonObjectSchema } from './api-schemas.ts';

/** A strategy's execution status: its run's, or `not_started` for one stored without a run. */
export const strategyStatusSchema = z
  .enum([...RUN_STATUSES, 'not_started'])
  .describe('the run: queued, running, completed, failed, cancelled, timed_out, stopped; or not_started');

/** One of {@link strategyStatusSchema}. */
export type StrategyStatus = z.infer<typeof strategyStatusSchema>;

/** The run executing a strategy, as GET /strategies/{id} shows it. */
export const strategyExecutionSchema = z.object({
  run_id: z.string().describe('the workflow run (also at GET /workflows/{run_id})'),
  status: z.enum(RUN_STATUSES),
  progress: z.number().min(0).max(1).describe('steps done over all steps'),
  current_step: z.string().nullable(),
  steps: z
    .record(
      z.string(),
      z.object({
        status: z.enum(['pending', 'running', 'completed', 'failed', 'skipped']),
        error: z.string().nullable(),
      }),
    )
    .describe('each planned step (fetch_data, momentum, correlation, risk, …, execute) by id'),
  error: z
    .object({ code: z.string(), message: z.string() })
    .loose()
    .nullable()
    .describe('why it failed or was cancelled'),
  created_at: isoTimeSchema,
  started_at: isoTimeSchema.nullable(),
  finished_at: isoTimeSchema.nullable(),
  result: z
    .object({
      signals: z.array(jsonObjectSchema).describe('the enriched signals decided on'),
      decisions: z.array(jsonObjectSchema).describe('one per symbol, with provenance'),
      orders: z.array(jsonObjectSchema).describe('what the execution agent did with each trade'),
    })
    .nullable()
    .describe('what the run produced, once completed; null before'),
});

/** The view of {@link strategyExecutionSchema}. */
export type StrategyExecution = z.infer<typeof strategyExecutionSchema>;

const isLive = (status: StrategyStatus): boolean =>
  status !== 'not_started' && !FINAL_RUN_STATUSES.has(status);

function jsonObjects(list: readonly unknown[]): Record<string, unknown>[] {
  return list.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null);
}

function toExecution(run: WorkflowStatus): StrategyExecution {
  const steps: StrategyExecution['steps'] = {};
  for (const [id, s] of Object.entries(run.steps)) steps[id] = { status: s.status, error: s.error };
  const out = run.status === 'completed' ? strategyRunOutput(run.output) : undefined;
  return {
    run_id: run.workflow_id,
    status: run.status,
    progress: run.progress,
    current_step: run.current_step,
    steps,
    error: run.error === null ? null : { code: run.error.code, message: run.error.message },
    created_at: run.created_at,
    started_at: run.started_at,
    finished_at: run.finished_at,
    result:
      out === undefined
        ? null
        : {
            signals: jsonObjects(out.signals),
            decisions: jsonObjects(out.decisions),
            orders: jsonObjects(out.orders),
          },
  };
}

/**
 * The run a strategy points at, as the engine reports it; undefined for none.
 * @remarks A link to a run the journal does not hold (only a hand-edited database has one) reads
 * as no run: POST starts the strategy again.
 */
async function runOf(conclave: Conclave, record: StrategyRecord): Promise<WorkflowStatus | undefined> {
  if (record.runId === null) return undefined;
  try {
    return await conclave.workflows.getWorkflowStatus(record.runId);
  } catch (err) {
    if (isConclaveError(err, 'NOT_FOUND')) return undefined;
    throw err;
  }
}

/** A strategy's execution status and, when it has a run, the run's view. */
export async function strategyExecution(
  conclave: Conclave,
  record: StrategyRecord,
): Promise<{ status: StrategyStatus; execution: StrategyExecution | null }> {
  const run = await runOf(conclave, record);
  return run === undefined
    ? { status: 'not_started', execution: null }
    : { status: run.status, execution: toExecution(run) };
}

function stillRunning(id: string, runId: string, status: StrategyStatus): ConclaveError {
  return new ConclaveError(
    'CONFLICT',
    `strategy '${id}' is still ${status} (run ${runId}); stop it with DELETE /strategies/${id}, or wait for it to end, before running it again`,
    { details: { strategy_id: id, run_id: runId, status } },
  );
}

/**
 * Stores `strategy` and starts its plan as a durable workflow run, or — for a strategy id already
 * stored whose run has ended — replaces its definition and starts a new run.
 * @remarks The run is started first, then linked (inserted, or compare-and-set on the previous
 * run id); when linking fails (the id was taken or re-run by a concurrent request: `CONFLICT`; or
 * the store failed) the new run is cancelled, so a request either leaves a strategy running or
 * nothing at all.
 * @throws `CONFLICT` while the strategy's run is queued or running; `AGENT_UNAVAILABLE` when no
 * agent serves one of its plan's steps; the engine's `QUEUE_FULL` or `SHUTTING_DOWN`.
 */
export async function runStrategy(
  conclave: Conclave,
  strategy: TradingStrategy,
  template: string | null,
): Promise<{ record: StrategyRecord; status: RunStatus }> {
  const id = strategy.strategy_id;
  const existing = await conclave.store.strategies.get(id);
  if (existing !== undefined) {
    const run = await runOf(conclave, existing);
    if (run !== undefined && isLive(run.status)) throw stillRunning(id, run.workflow_id, run.status);
  }
  const { runId } = await startStrategy(conclave, strategy);
  const now = conclave.clock.now();
  const fields = { name: strategy.name, template, definition: { ...strategy }, updatedAt: now };
  let record: StrategyRecord;
  try {
    if (existing === undefined) {
      record = { id, ...fields, createdAt: now, runId };
      await conclave.store.strategies.insert(record);
    } else {
      const rerun = { ...fields, expectedRunId: existing.runId, runId };
      if (!(await conclave.store.strategies.replaceRun(id, rerun))) {
        throw new ConclaveError('CONFLICT', `strategy '${id}' was run again by another request`, {
          details: { strategy_id: id },
        });
      }
      record = { ...existing, ...fields, runId };
    }
  } catch (err) {
    await conclave.workflows
      .cancel(runId, `strategy '${id}' could not be recorded`)
      .catch((cancelErr: unknown) => {
        conclave.logger.error(
          { event: 'strategy_run_orphaned', strategy_id: id, workflow_id: runId, err: cancelErr },
          'a strategy run could not be recorded nor cancelled; stop it with POST /workflows/{id}/cancel',
        );
        return false;
      });
    throw err;
  }
  return { record, status: (await conclave.workflows.getWorkflowStatus(runId)).status };
}

/**
 * Stops a strategy's run (cancels it: running steps get an abort signal, nothing further is
 * dispatched) and reports the status it ended in; a run that had already ended is left as it is.
 * @throws `CONFLICT` when the run is live but executing in another process (sharing the store),
 * which alone can cancel it.
 */
export async function stopStrategy(
  conclave: Conclave,
  record: StrategyRecord,
): Promise<{ status: StrategyStatus; stopped: boolean }> {
  const before = await runOf(conclave, record);
  if (before === undefined) return { status: 'not_started', stopped: false };
  const runId = before.workflow_id;
  const stopped = await conclave.workflows.cancel(
    runId,
    `strategy '${record.id}' stopped through DELETE /strategies/${record.id}`,
  );
  let status: StrategyStatus = (await conclave.workflows.getWorkflowStatus(runId)).status;
  if (!stopped && isLive(status)) {
    // Ending on its own just now (it resolves at once), or live in another process (CONFLICT).
    try {
      status = (await conclave.workflows.wait(runId)).status;
    } catch (err) {
      if (!isConclaveError(err, 'CONFLICT')) throw err;
      throw new ConclaveError(
        'CONFLICT',
        `strategy '${record.id}': its run ${runId} is ${status} in another process, which alone can stop it`,
        { cause: err, details: { strategy_id: record.id, run_id: runId, status } },
      );
    }
  }
  return { status, stopped };
}
