/**
 * The Orchestration Model document's weighted policy (`aggregate_signals`): confidence is a
 * weighted average of the three agents' views; the action follows the rule policy's logic.
 */
import { AGENTS, correlationAnalysisSchema, readAnalysis } from './analyses.ts';
import { outcomeWith, type DecisionPolicy } from './policy.ts';
import { determineAction, readMomentumAndRisk } from './rule-policy.ts';

/** The document's weights: momentum confidence, risk (as 1 − overall_score), correlation portfolio impact. */
export const WEIGHTS = { momentum: 0.4, risk: 0.4, correlation: 0.2 } as const;

/** Clamps to [0, 1]. */
function clampUnit(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/**
 * Creates the weighted policy (`weighted_average`), which needs momentum, risk and correlation.
 * @remarks Confidence = 0.4 × momentum.confidence + 0.4 × (1 − risk.overall_score) + 0.2 ×
 * correlation.portfolio_impact, clamped to [0, 1]. With an agent absent (a partial decision) the
 * weights are renormalised over the agents present (e.g. momentum and risk alone weigh 0.5 each)
 * and the reason says so; with none present confidence is 0. The action is the rule policy's
 * {@link determineAction}: the document calls `_determine_action(momentum, risk)`, which reads
 * only momentum and risk, so the threshold is momentum confidence > 0.7 with risk low or medium,
 * and correlation only moves confidence.
 */
export function createWeightedPolicy(): DecisionPolicy {
  return {
    name: 'weighted_average',
    requiredAgents: [AGENTS.momentum, AGENTS.risk, AGENTS.correlation],
    decide(signals) {
      const { momentum, risk } = readMomentumAndRisk(signals);
      const correlation = readAnalysis(signals, AGENTS.correlation, correlationAnalysisSchema);
      const terms: { agent: string; weight: number; value: number }[] = [];
      if (momentum)
        terms.push({ agent: AGENTS.momentum, weight: WEIGHTS.momentum, value: momentum.confidence });
      if (risk) terms.push({ agent: AGENTS.risk, weight: WEIGHTS.risk, value: 1 - risk.overall_score });
      if (correlation) {
        terms.push({
          agent: AGENTS.correlation,
          weight: WEIGHTS.correlation,
          value: correlation.portfolio_impact,
        });
      }
      const total = terms.reduce((sum, t) => sum + t.weight, 0);
      const confidence =
        total === 0 ? 0 : clampUnit(terms.reduce((s, t) => s + t.weight * t.value, 0) / total);
      const outcome = determineAction(momentum, risk);
      const absent = [AGENTS.momentum, AGENTS.risk, AGENTS.correlation].filter(
        (a) => !terms.some((t) => t.agent === a),
      );
      const reason =
        absent.length === 0 || terms.length === 0
          ? outcome.reason
          : `${outcome.reason}; weights renormalised over ${terms.map((t) => t.agent).join(', ')} (missing ${absent.join(', ')})`;
      return outcomeWith(outcome, reason, confidence);
    },
  };
}
