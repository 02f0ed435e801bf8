/**
 * Runs strategies and step lists on the workflow engine and collects their signals, decisions and
 * orders.
 */
import type { Conclave } from '../../conclave.ts';
import { ConclaveError, ValidationError } from '../../core/errors.ts';
import type { RunStatus } from '../../core/workflow-run.ts';
import type { StartOptions, StepDefinition } from '../../workflow/index.ts';
import { registerPlannerBuiltins, type DecideResult } from './decide.ts';
import { planStrategy, strategyInput, type PlanOptions } from './plan.ts';
import { parseStrategy, type TradingStrategyInput } from './strategy.ts';

/** What a strategy or step-list run produced. */
export interface StrategyRunResult {
  run_id: string;
  status: RunStatus;
  signals: DecideResult['signals'];
  decisions: DecideResult['decisions'];
  orders: unknown[];
  /** Every step's result, by step id. */
  steps: Record<string, unknown>;
}

/** What a strategy run's output (its steps' results by step id) holds: signals, decisions, orders. */
export function strategyRunOutput(output: unknown): Omit<StrategyRunResult, 'run_id' | 'status'> {
  const steps = (output ?? {}) as Record<string, unknown>;
  const decided = steps['decide'] as DecideResult | undefined;
  const executed = steps['execute'];
  return {
    signals: decided?.signals ?? [],
    decisions: decided?.decisions ?? [],
    orders: Array.isArray(executed) ? executed : [],
    steps,
  };
}

async function runToEnd(conclave: Conclave, name: string, input: unknown): Promise<StrategyRunResult> {
  return waitForRun(conclave, name, await conclave.workflows.start(name, input));
}

async function waitForRun(conclave: Conclave, name: string, runId: string): Promise<StrategyRunResult> {
  const rec = await conclave.workflows.wait(runId);
  if (rec.status !== 'completed') {
    throw new ConclaveError(
      rec.error?.code ?? 'AGENT_ERROR',
      `${name} (${runId}) ${rec.status}: ${rec.error?.message ?? ''}`,
      {
        retryable: false,
        details: { run_id: runId },
      },
    );
  }
  return { run_id: runId, status: rec.status, ...strategyRunOutput(rec.output) };
}

/**
 * Plans `strategy` ({@link planStrategy}) and runs it on `conclave`'s engine through the built-in
 * (or any) agents serving the trading patterns; resolves with its signals, decisions and orders.
 * @throws ValidationError naming the strategy field; ConclaveError with the run's code when it fails.
 */
export async function executeStrategy(
  conclave: Conclave,
  strategy: TradingStrategyInput,
  options: PlanOptions = {},
): Promise<StrategyRunResult> {
  const { name, runId } = await startStrategy(conclave, strategy, options);
  return waitForRun(conclave, name, runId);
}

/**
 * Plans `strategy` ({@link planStrategy}), registers its workflow and starts it as a durable run;
 * resolves once the run is journaled (it then runs, or waits for a slot, on its own).
 * @remarks The planned definition is pure JSON, so it is snapshotted with the run and a restarted
 * process resumes it without the strategy being planned again; only the `trading.decide` builtin
 * must be registered before `conclave.start()`, which `createConclave` does.
 * @throws ValidationError naming the strategy field; `AGENT_UNAVAILABLE` naming the step and its
 * pattern when no agent or routing rule serves one of the plan's steps; the engine's
 * `QUEUE_FULL` or `SHUTTING_DOWN` (nothing is started then).
 */
export async function startStrategy(
  conclave: Conclave,
  strategy: TradingStrategyInput,
  options: PlanOptions = {},
  start: StartOptions = {},
): Promise<{ name: string; runId: string }> {
  const s = parseStrategy(strategy);
  registerPlannerBuiltins(conclave);
  let name: string;
  try {
    name = conclave.workflows.register(planStrategy(s, options)).definition.name;
  } catch (err) {
    // The strategy is valid (parsed above): a plan the engine refuses needs something not served here.
    if (!(err instanceof ValidationError)) throw err;
    throw new ConclaveError(
      'AGENT_UNAVAILABLE',
      `strategy '${s.strategy_id}' cannot run here: ${err.message}`,
      {
        cause: err,
        retryable: true,
        details: { strategy_id: s.strategy_id, step_field: err.field },
      },
    );
  }
  return { name, runId: await conclave.workflows.start(name, strategyInput(s), start) };
}

/** One step of the FinAgent document's step-list form. */
export interface WorkflowStepSpec {
  agent_pool?: string;
  action: string;
  parameters?: Record<string, unknown>;
}

/**
 * Runs the FinAgent step-list form (`{ workflow_id, steps: [{ agent_pool, action, parameters }] }`)
 * as a workflow: each step a task for pattern `action`, after the one before it, fanned out over
 * the symbols (`parameters.symbols`, carried from the first step that names them).
 * @remarks Each agent fetches its own validated bars for its symbol, which is what lets the
 * document's steps chain without passing data. When the list holds `generate_signals` and
 * `assess_risk`, a decision step joins them under the configured policy.
 */
export async function executeWorkflow(
  conclave: Conclave,
  workflow: { workflow_id: string; steps: readonly WorkflowStepSpec[] },
): Promise<StrategyRunResult> {
  registerPlannerBuiltins(conclave);
  let symbols: unknown[] = [];
  const steps: StepDefinition[] = [];
  const ids: Record<string, string> = {};
  workflow.steps.forEach((spec, i) => {
    const { symbols: named, period: _period, ...rest } = spec.parameters ?? {};
    if (Array.isArray(named)) symbols = named;
    const id = ids[spec.action] === undefined ? spec.action : `${spec.action}_${i}`;
    ids[spec.action] = id;
    const stepIds: Record<string, string> = {
      generate_signals: 'momentum',
      assess_risk: 'risk',
      analyze_correlation: 'correlation',
    };
    steps.push({
      id: stepIds[spec.action] ?? id,
      kind: 'task',
      pattern: spec.action,
      forEach: { items: 'input.symbols', join: 'fail_fast' },
      payload: { ...rest, symbol: { $from: 'item' } },
      ...(i === 0 ? {} : { dependsOn: [steps[i - 1]?.id ?? ''] }),
    });
  });
  const has = (id: string): boolean => steps.some((s) => s.id === id);
  if (has('momentum') && has('risk')) {
    steps.push({
      id: 'decide',
      kind: 'builtin',
      builtin: 'trading.decide',
      dependsOn: [steps[steps.length - 1]?.id ?? ''],
      params: { strategy_id: workflow.workflow_id },
    });
  }
  const name = `workflow.${workflow.workflow_id}`;
  conclave.workflows.register({ name, tags: ['trading'], steps });
  return runToEnd(conclave, name, { symbols });
}
