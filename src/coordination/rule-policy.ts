/**
 * The at-orchestrator document's rule policy (`make_trading_decision` + `calculate_confidence`):
 * trade on confident momentum when risk allows, with the risk agent's size.
 */
import {
  AGENTS,
  momentumAnalysisSchema,
  readAnalysis,
  riskAnalysisSchema,
  type MomentumAnalysis,
  type RiskAnalysis,
  type RiskLevel,
} from './analyses.ts';
import { outcomeWith, type DecisionPolicy, type PolicyOutcome } from './policy.ts';
import type { DecisionAction, Direction } from './schemas.ts';
import type { SignalSet } from './signal-set.ts';

/** Momentum confidence must be strictly above this to trade (the document's `> 0.7`). */
export const MOMENTUM_CONFIDENCE_THRESHOLD = 0.7;

/** The document's risk penalty on confidence, by risk level. */
export const RISK_MULTIPLIERS: Readonly<Record<RiskLevel, number>> = {
  low: 1.0,
  medium: 0.8,
  high: 0.5,
  blocked: 0.0,
};

/** The action part of an outcome: everything but confidence. */
export type ActionOutcome = Omit<PolicyOutcome, 'confidence'>;

/**
 * The document's `make_trading_decision` (Orchestration Model's `_determine_action`), with absent
 * inputs made explicit.
 * @remarks Order: a `blocked` risk wins over everything, even with momentum absent; then no risk →
 * `monitor`/`missing_risk` (nothing to size a trade with); no momentum → `monitor`/`missing_momentum`;
 * neither → `insufficient_data`. Two departures from the document, both toward not trading: a
 * `neutral` trend never trades (`monitor`/`neutral_trend`: a trade needs a direction), and a risk
 * assessment without `position_sizing` never trades (`monitor`/`missing_position_size`).
 */
export function determineAction(
  momentum: MomentumAnalysis | undefined,
  risk: RiskAnalysis | undefined,
): ActionOutcome {
  if (risk?.risk_level === 'blocked') return { action: 'no_trade', reason: 'risk_blocked' };
  if (momentum === undefined && risk === undefined) {
    return { action: 'insufficient_data', reason: 'missing_momentum_and_risk' };
  }
  if (risk === undefined) return { action: 'monitor', reason: 'missing_risk' };
  if (momentum === undefined) return { action: 'monitor', reason: 'missing_momentum' };
  const confident = momentum.confidence > MOMENTUM_CONFIDENCE_THRESHOLD;
  if (!confident || (risk.risk_level !== 'low' && risk.risk_level !== 'medium')) {
    return { action: 'monitor', reason: 'insufficient_confidence' };
  }
  const direction: Direction | undefined =
    momentum.trend_direction === 'neutral' ? undefined : momentum.trend_direction;
  if (direction === undefined) return { action: 'monitor', reason: 'neutral_trend' };
  const size = risk.position_sizing?.recommended_size;
  if (size === undefined) return { action: 'monitor', reason: 'missing_position_size' };
  const action: DecisionAction = 'trade';
  return { action, direction, size, reason: 'high_confidence_momentum' };
}

/**
 * The document's `calculate_confidence`: momentum confidence × the risk level's multiplier; 0 when
 * either input is absent (no basis for confidence).
 */
export function ruleConfidence(
  momentum: MomentumAnalysis | undefined,
  risk: RiskAnalysis | undefined,
): number {
  if (momentum === undefined || risk === undefined) return 0;
  return momentum.confidence * RISK_MULTIPLIERS[risk.risk_level];
}

/** Reads the momentum and risk analyses (validated) from `signals`. */
export function readMomentumAndRisk(signals: SignalSet): {
  momentum: MomentumAnalysis | undefined;
  risk: RiskAnalysis | undefined;
} {
  return {
    momentum: readAnalysis(signals, AGENTS.momentum, momentumAnalysisSchema),
    risk: readAnalysis(signals, AGENTS.risk, riskAnalysisSchema),
  };
}

/** Creates the rule policy (`rule_based`), which needs the momentum and risk agents. */
export function createRulePolicy(): DecisionPolicy {
  return {
    name: 'rule_based',
    requiredAgents: [AGENTS.momentum, AGENTS.risk],
    decide(signals) {
      const { momentum, risk } = readMomentumAndRisk(signals);
      const action = determineAction(momentum, risk);
      return outcomeWith(action, action.reason, ruleConfidence(momentum, risk));
    },
  };
}
