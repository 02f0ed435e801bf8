/**
 * The Orchestration Model document's sequential workflow pattern: joined signals pass through
 * validation → risk check → position sizing → execution timing; any stage may stop the sequence
 * with a reason, which becomes the decision's reason.
 */
import { ConclaveError } from '../core/errors.ts';
import { AGENTS, riskAnalysisSchema, momentumAnalysisSchema, readAnalysis } from './analyses.ts';
import { outcomeWith, type DecisionPolicy, type PolicyContext, type PolicyOutcome } from './policy.ts';
import { signalEntries, type SignalSet } from './signal-set.ts';

/** The stages, in the order they run. */
export const STAGE_NAMES = ['validation', 'risk_check', 'position_sizing', 'execution_timing'] as const;
/** One of {@link STAGE_NAMES}. */
export type StageName = (typeof STAGE_NAMES)[number];

/** What a stage may answer: go on with a result, or stop the sequence with a reason. */
export type StageAnswer =
  | { readonly stop: false; readonly result: Record<string, unknown> }
  | { readonly stop: true; readonly reason: string; readonly outcome: PolicyOutcome };

/** What every stage sees: the joined signals, the fan-in's completeness and the earlier stages' results. */
export interface StageInput extends PolicyContext {
  readonly signals: SignalSet;
  readonly results: Readonly<Partial<Record<StageName, Record<string, unknown>>>>;
}

/** One stage's record in a decision: passed with its result, or where the sequence stopped. */
export type StageTrace =
  | { readonly stage: StageName; readonly status: 'passed'; readonly result: Record<string, unknown> }
  | { readonly stage: StageName; readonly status: 'stopped'; readonly reason: string };

/** The sequence's verdict: the outcome to route, and the trace of the stages that ran. */
export interface StagedOutcome {
  readonly outcome: PolicyOutcome;
  readonly stages: readonly StageTrace[];
  /** The workflow run that carried the stages, when they ran on the workflow engine. */
  readonly workflowId?: string;
}

/** Runs the stages for one correlation; the coordinator awaits it in place of a policy's `decide`. */
export interface StageRunner {
  run(corrId: string, signals: SignalSet, context: PolicyContext): Promise<StagedOutcome>;
}

/** The stage thresholds (the document's numbers are the defaults). */
export interface StageOptions {
  /** Below this signal quality, validation stops with `poor_signal_quality`. Default 0.6. */
  readonly minSignalQuality: number;
  /** Above this overall risk score, the risk check stops with `excessive_risk`. Default 0.8. */
  readonly maxOverallRisk: number;
  /** Sizing caps the policy's size here, when set. */
  readonly maxPositionSize?: number;
  /** At or above this momentum strength, timing asks for immediate execution. Default 0.7. */
  readonly urgentMomentum: number;
}

/** The document's thresholds. */
export const DEFAULT_STAGE_OPTIONS: StageOptions = {
  minSignalQuality: 0.6,
  maxOverallRisk: 0.8,
  urgentMomentum: 0.7,
};

/** A stage function. Pure: reads its input, never writes to the signals. */
export type Stage = (input: StageInput) => StageAnswer;

const go = (result: Record<string, unknown>): StageAnswer => ({ stop: false, result });

/**
 * Signal quality: completeness (reported over reported + missing required agents) times the mean
 * self-reported confidence of the analyses (an analysis without a `confidence` counts as 1: it is
 * valid, and claims nothing either way).
 */
export function signalQuality(signals: SignalSet, missing: readonly string[]): number {
  const entries = signalEntries(signals);
  if (entries.length === 0) return 0;
  let sum = 0;
  for (const [, signal] of entries) {
    const c = signal.analysis['confidence'];
    sum += typeof c === 'number' && Number.isFinite(c) ? Math.min(1, Math.max(0, c)) : 1;
  }
  const completeness = entries.length / (entries.length + missing.length);
  return completeness * (sum / entries.length);
}

/** The four stages, bound to `policy` (which sizing consults) and `options`. */
export function createStages(policy: DecisionPolicy, options: StageOptions): Record<StageName, Stage> {
  return {
    validation: ({ signals, missing }) => {
      const quality = signalQuality(signals, missing);
      if (quality < options.minSignalQuality) {
        const reason = 'poor_signal_quality';
        return { stop: true, reason, outcome: { action: 'monitor', reason, confidence: quality } };
      }
      return go({ quality_score: quality, validated: true });
    },
    risk_check: ({ signals }) => {
      const risk = readAnalysis(signals, AGENTS.risk, riskAnalysisSchema);
      if (risk === undefined) {
        const reason = 'risk_unavailable';
        return { stop: true, reason, outcome: { action: 'monitor', reason, confidence: 0 } };
      }
      const overall = risk.risk_level === 'blocked' ? 1 : risk.overall_score;
      if (overall > options.maxOverallRisk) {
        const reason = 'excessive_risk';
        return { stop: true, reason, outcome: { action: 'no_trade', reason, confidence: 0 } };
      }
      return go({
        risk_factors: { overall_risk: overall, risk_level: risk.risk_level },
        risk_approved: true,
      });
    },
    position_sizing: ({ signals, partial, missing }) => {
      const outcome = policy.decide(signals, { partial, missing });
      if (outcome.action !== 'trade' && outcome.action !== 'trade_with_caution') {
        return { stop: true, reason: outcome.reason, outcome };
      }
      const cap = options.maxPositionSize;
      const size =
        cap !== undefined && outcome.size !== undefined ? Math.min(outcome.size, cap) : outcome.size;
      return go({
        outcome: outcomeWith(outcome, outcome.reason, outcome.confidence, size),
        capped: size !== outcome.size,
      });
    },
    execution_timing: ({ signals }) => {
      const momentum = readAnalysis(signals, AGENTS.momentum, momentumAnalysisSchema);
      const strength = momentum?.momentum_strength ?? 0;
      const urgent = strength >= options.urgentMomentum;
      return go({
        urgency: urgent ? 'immediate' : 'patient',
        order_type: urgent ? 'market' : 'limit',
        momentum_strength: strength,
      });
    },
  };
}

/**
 * The outcome of a finished sequence: the stopping stage's outcome, or sizing's trade. Shared by
 * every runner, so the in-process chain and the workflow engine decide alike.
 */
export function finishStages(
  stages: readonly StageTrace[],
  stopped: { reason: string; outcome: PolicyOutcome } | undefined,
): PolicyOutcome {
  if (stopped !== undefined) return stopped.outcome;
  const sizing = stages.find((s) => s.stage === 'position_sizing');
  if (sizing?.status !== 'passed') {
    throw new ConclaveError('INTERNAL', 'the stages ended without a stop and without position sizing');
  }
  return sizing.result['outcome'] as PolicyOutcome;
}

/**
 * The stages as a chain in this process: no journal, no workflow run. For tests, for single
 * decisions outside the coordinator, and wherever the workflow engine is not wired in.
 */
export class InlineStageRunner implements StageRunner {
  readonly #stages: Record<StageName, Stage>;

  constructor(policy: DecisionPolicy, options: StageOptions = DEFAULT_STAGE_OPTIONS) {
    this.#stages = createStages(policy, options);
  }

  run(_corrId: string, signals: SignalSet, context: PolicyContext): Promise<StagedOutcome> {
    const results: Partial<Record<StageName, Record<string, unknown>>> = {};
    const trace: StageTrace[] = [];
    for (const stage of STAGE_NAMES) {
      const answer = this.#stages[stage]({ ...context, signals, results });
      if (answer.stop) {
        trace.push({ stage, status: 'stopped', reason: answer.reason });
        return Promise.resolve({ outcome: finishStages(trace, answer), stages: trace });
      }
      results[stage] = answer.result;
      trace.push({ stage, status: 'passed', result: answer.result });
    }
    return Promise.resolve({ outcome: finishStages(trace, undefined), stages: trace });
  }
}
