/**
 * The sequential decision stages as a durable workflow: each stage a builtin step of the
 * `decision_stages` workflow, chained by dependencies, so every stage's result is journaled and
 * visible through GET /workflows/{id}.
 */
import {
  STAGE_NAMES,
  createStages,
  finishStages,
  type DecisionPolicy,
  type PolicyContext,
  type PolicyOutcome,
  type SignalSet,
  type StageName,
  type StageOptions,
  type StageRunner,
  type StageTrace,
  type StagedOutcome,
} from '../coordination/index.ts';
import { ConclaveError } from '../core/errors.ts';
import { DECISION_STAGES_WORKFLOW } from '../core/workflow-run.ts';
import type { BuiltinContext, StepContext, WorkflowEngine } from '../workflow/index.ts';

/** The workflow's registered name. */
export { DECISION_STAGES_WORKFLOW };

interface StagesInput extends PolicyContext {
  readonly corr_id: string;
  readonly signals: SignalSet;
}

/** The stages that passed before the current one, in order, read from the run's context. */
function passedSoFar(ctx: StepContext): {
  results: Partial<Record<StageName, Record<string, unknown>>>;
  trace: StageTrace[];
} {
  const results: Partial<Record<StageName, Record<string, unknown>>> = {};
  const trace: StageTrace[] = [];
  for (const stage of STAGE_NAMES) {
    const step = ctx.steps[stage];
    if (step?.status !== 'completed') break;
    const result = step.result as Record<string, unknown>;
    results[stage] = result;
    trace.push({ stage, status: 'passed', result });
  }
  return { results, trace };
}

/**
 * A {@link StageRunner} on the workflow engine: one `decision_stages` run per decision, awaited.
 * @remarks A stopping stage returns the engine's stop result with the outcome and the trace in its
 * details, so a stopped run carries everything the decision needs.
 */
export class WorkflowStageRunner implements StageRunner {
  readonly #engine: WorkflowEngine;

  constructor(engine: WorkflowEngine, policy: DecisionPolicy, options: StageOptions) {
    this.#engine = engine;
    const stages = createStages(policy, options);
    for (const stage of STAGE_NAMES) {
      engine.registerBuiltin(`decision.${stage}`, (_params: unknown, ctx: BuiltinContext) => {
        const input = ctx.input as StagesInput;
        const { results, trace } = passedSoFar(ctx);
        const answer = stages[stage]({
          signals: input.signals,
          partial: input.partial,
          missing: input.missing,
          results,
        });
        if (!answer.stop) return Promise.resolve(answer.result);
        trace.push({ stage, status: 'stopped', reason: answer.reason });
        return Promise.resolve({
          stop: true,
          reason: answer.reason,
          details: { outcome: answer.outcome, stages: trace },
        });
      });
    }
    engine.register({
      name: DECISION_STAGES_WORKFLOW,
      description: 'Sequential decision stages: validation, risk check, position sizing, execution timing',
      tags: ['decision'],
      steps: STAGE_NAMES.map((stage, i) => ({
        id: stage,
        kind: 'builtin' as const,
        builtin: `decision.${stage}`,
        // Stages are pure: a failure is a malformed analysis, and trying again cannot mend it.
        retry: { maxRetries: 0 },
        ...(i === 0 ? {} : { dependsOn: [STAGE_NAMES[i - 1]!] }),
      })),
    });
  }

  async run(corrId: string, signals: SignalSet, context: PolicyContext): Promise<StagedOutcome> {
    const input: StagesInput = {
      corr_id: corrId,
      signals,
      partial: context.partial,
      missing: context.missing,
    };
    const workflowId = await this.#engine.start(DECISION_STAGES_WORKFLOW, input, {
      requester: 'coordinator',
    });
    const run = await this.#engine.wait(workflowId);
    if (run.status === 'stopped') {
      const { details } = run.output as { details: { outcome: PolicyOutcome; stages: StageTrace[] } };
      return { outcome: details.outcome, stages: details.stages, workflowId };
    }
    if (run.status !== 'completed') {
      // The stage's own error (a malformed analysis is VALIDATION_FAILED naming the field).
      const cause = run.error;
      throw new ConclaveError(
        cause?.code ?? 'INTERNAL',
        `decision stages for '${corrId}' ended ${run.status}${cause === null ? '' : `: ${cause.message}`}`,
        { details: { workflowId, ...cause?.details } },
      );
    }
    const output = run.output as Record<StageName, Record<string, unknown>>;
    const stages: StageTrace[] = STAGE_NAMES.map((stage) => ({
      stage,
      status: 'passed',
      result: output[stage],
    }));
    return { outcome: finishStages(stages, undefined), stages, workflowId };
  }
}
