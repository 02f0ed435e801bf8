import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RISK_LEVELS } from '../../src/coordination/analyses.ts';
import { POLICY_NAMES, policyByName } from '../../src/coordination/policies.ts';
import { RISK_MULTIPLIERS } from '../../src/coordination/rule-policy.ts';
import { deepFreeze, signalSet } from './fixtures.ts';

const unit = fc.double({ min: 0, max: 1, noNaN: true });
const momentumArb = fc.record({
  trend_direction: fc.constantFrom('up', 'down', 'neutral', 'bullish', 'bearish'),
  momentum_strength: unit,
  confidence: unit,
});
const riskArb = fc.record(
  {
    risk_level: fc.constantFrom(...RISK_LEVELS),
    overall_score: unit,
    position_sizing: fc.record({ recommended_size: fc.double({ min: 0, max: 1e6, noNaN: true }) }),
  },
  { requiredKeys: ['risk_level', 'overall_score'] },
);
const correlationArb = fc.record({ portfolio_impact: fc.double({ min: -1, max: 1, noNaN: true }) });
const analysesArb = fc.record(
  { momentum: momentumArb, risk: riskArb, correlation: correlationArb },
  { requiredKeys: [] },
);

describe('policy properties', () => {
  it('rule policy: confidence is momentum confidence × the risk multiplier, in [0, 1]', () => {
    const policy = policyByName('rule_based');
    fc.assert(
      fc.property(momentumArb, riskArb, (m, r) => {
        const { confidence } = policy.decide(signalSet({ momentum: m, risk: r }), {
          partial: false,
          missing: [],
        });
        expect(confidence).toBe(m.confidence * RISK_MULTIPLIERS[r.risk_level]);
        expect(confidence).toBeGreaterThanOrEqual(0);
        expect(confidence).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('no policy mutates its input or returns a confidence outside [0, 1], whatever is missing', () => {
    fc.assert(
      fc.property(analysesArb, fc.constantFrom(...POLICY_NAMES), (analyses, name) => {
        const signals = deepFreeze(signalSet(analyses));
        const before = structuredClone(signals);
        const outcome = policyByName(name).decide(signals, { partial: true, missing: [] });
        expect(signals).toEqual(before);
        expect(Number.isNaN(outcome.confidence)).toBe(false);
        expect(outcome.confidence).toBeGreaterThanOrEqual(0);
        expect(outcome.confidence).toBeLessThanOrEqual(1);
        if (outcome.action === 'trade') {
          expect(outcome.size).toBe(analyses.risk?.position_sizing?.recommended_size);
          expect(['up', 'down']).toContain(outcome.direction);
        }
      }),
    );
  });
});
