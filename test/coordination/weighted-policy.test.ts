import { describe, expect, it } from 'vitest';
import { createWeightedPolicy } from '../../src/coordination/weighted-policy.ts';
import { deepFreeze, momentum, risk, signalSet } from './fixtures.ts';

const complete = { partial: false, missing: [] } as const;
const policy = createWeightedPolicy();

describe('weighted policy (aggregate_signals)', () => {
  it('computes 0.4 × momentum + 0.4 × (1 − risk score) + 0.2 × portfolio impact', () => {
    const signals = signalSet({
      momentum: momentum(0.9),
      risk: risk('low', 50, 0.3),
      correlation: { portfolio_impact: 0.5 },
    });
    const outcome = policy.decide(signals, complete);
    // 0.36 + 0.28 + 0.10
    expect(outcome.confidence).toBeCloseTo(0.74, 12);
    expect(outcome).toMatchObject({
      action: 'trade',
      direction: 'up',
      size: 50,
      reason: 'high_confidence_momentum',
    });
  });

  it('lets a negative portfolio impact lower confidence and clamps at 0', () => {
    const lowered = policy.decide(
      signalSet({
        momentum: momentum(0.8),
        risk: risk('low', 1, 0.5),
        correlation: { portfolio_impact: -0.5 },
      }),
      complete,
    );
    // 0.32 + 0.2 − 0.1
    expect(lowered.confidence).toBeCloseTo(0.42, 12);
    const clamped = policy.decide(
      signalSet({ momentum: momentum(0), risk: risk('low', 1, 1), correlation: { portfolio_impact: -1 } }),
      complete,
    );
    expect(clamped.confidence).toBe(0);
  });

  it('takes its action from the rule logic: blocked risk is no_trade whatever the confidence', () => {
    const outcome = policy.decide(
      signalSet({ momentum: momentum(1), risk: risk('blocked', 0, 0), correlation: { portfolio_impact: 1 } }),
      complete,
    );
    expect(outcome.action).toBe('no_trade');
    expect(outcome.confidence).toBeCloseTo(1, 12);
  });

  it('renormalises the weights over the agents present and says so', () => {
    const outcome = policy.decide(signalSet({ momentum: momentum(0.9), risk: risk('low', 10, 0.3) }), {
      partial: true,
      missing: ['correlation'],
    });
    // (0.4 × 0.9 + 0.4 × 0.7) / 0.8
    expect(outcome.confidence).toBeCloseTo(0.8, 12);
    expect(outcome.action).toBe('trade');
    expect(outcome.reason).toBe(
      'high_confidence_momentum; weights renormalised over momentum, risk (missing correlation)',
    );
  });

  it('uses correlation alone when it is the only agent, and still does not trade', () => {
    const outcome = policy.decide(signalSet({ correlation: { portfolio_impact: 0.6 } }), {
      partial: true,
      missing: ['momentum', 'risk'],
    });
    expect(outcome.confidence).toBeCloseTo(0.6, 12);
    expect(outcome.action).toBe('insufficient_data');
  });

  it('gives confidence 0 and insufficient_data with no agents, never NaN', () => {
    const outcome = policy.decide(signalSet({}), {
      partial: true,
      missing: ['momentum', 'risk', 'correlation'],
    });
    expect(outcome).toEqual({
      action: 'insufficient_data',
      reason: 'missing_momentum_and_risk',
      confidence: 0,
    });
  });

  it('leaves deeply frozen inputs untouched', () => {
    const signals = deepFreeze(
      signalSet({ momentum: momentum(0.9), risk: risk('medium'), correlation: { portfolio_impact: 0.1 } }),
    );
    const before = structuredClone(signals);
    expect(policy.decide(signals, complete).action).toBe('trade');
    expect(signals).toEqual(before);
  });
});
