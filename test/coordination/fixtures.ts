/** Builders for enriched signals in the documents' shapes. */
import type { EnrichedSignal, NormalizedSignal } from '../../src/coordination/schemas.ts';

/** A normalized signal for `instrument`. */
export function normalized(instrument = 'AAPL', corrId = 'req_abc123'): NormalizedSignal {
  return {
    corr_id: corrId,
    instrument,
    timestamp: '2026-01-02T03:04:05.000Z',
    source: 'webhook',
    signal_type: 'price_update',
    payload: { price: 101.5 },
  };
}

/** An enriched signal from `agent` with `analysis`, on `instrument`. */
export function enriched(
  agent: string,
  analysis: Record<string, unknown>,
  instrument = 'AAPL',
): EnrichedSignal {
  return {
    corr_id: 'req_abc123',
    agent_name: agent,
    agent_version: '1.2.0',
    enriched_at: '2026-01-02T03:04:06.000Z',
    analysis,
    source_signal: normalized(instrument),
  };
}

/** A momentum analysis. */
export function momentum(confidence: number, trend = 'up', strength = 0.8): Record<string, unknown> {
  return { trend_direction: trend, momentum_strength: strength, confidence };
}

/** A risk analysis with a recommended size. */
export function risk(level: string, size = 100, overallScore = 0.2): Record<string, unknown> {
  return { risk_level: level, overall_score: overallScore, position_sizing: { recommended_size: size } };
}

/** Signals by agent for the given analyses (absent agents left out). */
export function signalSet(
  analyses: {
    momentum?: Record<string, unknown>;
    risk?: Record<string, unknown>;
    correlation?: Record<string, unknown>;
  },
  instrument = 'AAPL',
): Record<string, EnrichedSignal> {
  const out: Record<string, EnrichedSignal> = {};
  for (const [agent, analysis] of Object.entries(analyses)) {
    if (analysis !== undefined) out[agent] = enriched(agent, analysis, instrument);
  }
  return out;
}

/** Freezes `value` and everything reachable from it, so any write throws in strict mode. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
