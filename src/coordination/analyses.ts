/**
 * The analyses decision policies read, validated when a policy reads them: the momentum, risk and
 * correlation agents' `analysis` objects.
 */
import { z } from 'zod';
import { unitInterval } from './schemas.ts';
import { getSignal, type SignalSet } from './signal-set.ts';
import { parseWith } from './validation.ts';

/** The agent names the documents' policies read. */
export const AGENTS = { momentum: 'momentum', risk: 'risk', correlation: 'correlation' } as const;

const TREND_ALIASES = { up: 'up', down: 'down', neutral: 'neutral', bullish: 'up', bearish: 'down' } as const;

/**
 * The momentum agent's analysis.
 * @remarks `trend_direction` is `up`, `down` or `neutral`; `bullish`/`bearish` are accepted as
 * synonyms and read as `up`/`down`, since agents written in other languages use both vocabularies
 * and the meaning is unambiguous. The agent's own output is left as sent; only the read value is
 * normalised.
 */
export const momentumAnalysisSchema = z.looseObject({
  trend_direction: z.enum(['up', 'down', 'neutral', 'bullish', 'bearish']).transform((v) => TREND_ALIASES[v]),
  momentum_strength: unitInterval,
  confidence: unitInterval,
});
/** A validated {@link momentumAnalysisSchema} (`trend_direction` normalised to up/down/neutral). */
export type MomentumAnalysis = z.output<typeof momentumAnalysisSchema>;

/** The risk levels, least to most restrictive. */
export const RISK_LEVELS = ['low', 'medium', 'high', 'blocked'] as const;
/** One of {@link RISK_LEVELS}. */
export type RiskLevel = (typeof RISK_LEVELS)[number];

/**
 * The risk agent's analysis.
 * @remarks `position_sizing` is optional because a `blocked` assessment has nothing to size; a
 * policy that would trade without it monitors instead. `var` is the agent's value at risk, kept
 * for the audit and not read by the policies.
 */
export const riskAnalysisSchema = z.looseObject({
  risk_level: z.enum(RISK_LEVELS),
  overall_score: unitInterval,
  position_sizing: z.looseObject({ recommended_size: z.number().min(0) }).optional(),
  var: z.number().optional(),
});
/** A validated {@link riskAnalysisSchema}. */
export type RiskAnalysis = z.output<typeof riskAnalysisSchema>;

/**
 * The correlation agent's analysis.
 * @remarks `portfolio_impact` is in [-1, 1]: the weighted formula adds it as a contribution to
 * confidence, and a trade that concentrates the portfolio (correlated with what is held) should
 * be able to pull confidence down, not only fail to raise it. The weighted sum is clamped to
 * [0, 1] afterwards, so the decision's confidence stays a probability-like score.
 */
export const correlationAnalysisSchema = z.looseObject({
  portfolio_impact: z
    .number({ error: 'must be a number between -1 and 1' })
    .min(-1, { error: 'must be between -1 and 1' })
    .max(1, { error: 'must be between -1 and 1' }),
});
/** A validated {@link correlationAnalysisSchema}. */
export type CorrelationAnalysis = z.output<typeof correlationAnalysisSchema>;

/**
 * Reads and validates `agent`'s analysis from `signals`: undefined when the agent has not reported.
 * @throws ValidationError naming the field, e.g. `signals.momentum.analysis.confidence: must be between 0 and 1 (got 1.4)`.
 */
export function readAnalysis<S extends z.ZodType>(
  signals: SignalSet,
  agent: string,
  schema: S,
): z.output<S> | undefined {
  const signal = getSignal(signals, agent);
  if (signal === undefined) return undefined;
  const analysis = signal.analysis;
  // A well-formed analysis is read as it is (policies only read); anything else goes to the schema.
  if (FAST_PATHS.get(schema)?.(analysis) === true) return analysis as z.output<S>;
  return parseWith(schema, analysis, `signals.${agent}.analysis`);
}

const unit = (v: unknown): boolean => typeof v === 'number' && v >= 0 && v <= 1;
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const RISK_LEVEL_SET: ReadonlySet<unknown> = new Set(RISK_LEVELS);

/**
 * Conservative checks that accept only analyses their schema certainly accepts unchanged (no
 * alias to normalise, plain objects), so the common case skips zod on the decision path. Each is
 * property-tested against its schema.
 */
export const FAST_PATHS: ReadonlyMap<z.ZodType, (analysis: Record<string, unknown>) => boolean> = new Map<
  z.ZodType,
  (analysis: Record<string, unknown>) => boolean
>([
  [
    momentumAnalysisSchema,
    (a) =>
      (a['trend_direction'] === 'up' ||
        a['trend_direction'] === 'down' ||
        a['trend_direction'] === 'neutral') &&
      unit(a['momentum_strength']) &&
      unit(a['confidence']),
  ],
  [
    riskAnalysisSchema,
    (a) => {
      const sizing = a['position_sizing'];
      return (
        RISK_LEVEL_SET.has(a['risk_level']) &&
        unit(a['overall_score']) &&
        (sizing === undefined ||
          (typeof sizing === 'object' &&
            sizing !== null &&
            Object.getPrototypeOf(sizing) === Object.prototype &&
            finite((sizing as Record<string, unknown>)['recommended_size']) &&
            ((sizing as Record<string, number>)['recommended_size'] ?? -1) >= 0)) &&
        (a['var'] === undefined || finite(a['var']))
      );
    },
  ],
  [
    correlationAnalysisSchema,
    (a) => finite(a['portfolio_impact']) && a['portfolio_impact'] >= -1 && a['portfolio_impact'] <= 1,
  ],
]);
