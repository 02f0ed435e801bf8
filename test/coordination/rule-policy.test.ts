import { describe, expect, it } from 'vitest';
import { policyByName, POLICY_NAMES } from '../../src/coordination/policies.ts';
import { createRulePolicy } from '../../src/coordination/rule-policy.ts';
import { ValidationError } from '../../src/core/errors.ts';
import { deepFreeze, enriched, momentum, risk, signalSet } from './fixtures.ts';

const complete = { partial: false, missing: [] } as const;
const policy = createRulePolicy();

describe('rule policy (make_trading_decision + calculate_confidence)', () => {
  it('trades up with the risk size at confidence 0.85 when risk is low', () => {
    const outcome = policy.decide(signalSet({ momentum: momentum(0.85), risk: risk('low', 100) }), complete);
    expect(outcome).toEqual({
      action: 'trade',
      direction: 'up',
      size: 100,
      reason: 'high_confidence_momentum',
      confidence: 0.85,
    });
  });

  it('penalises medium risk to 0.85 × 0.8 = 0.68 and still trades', () => {
    const outcome = policy.decide(
      signalSet({ momentum: momentum(0.85), risk: risk('medium', 40) }),
      complete,
    );
    expect(outcome.action).toBe('trade');
    expect(outcome.size).toBe(40);
    expect(outcome.confidence).toBeCloseTo(0.68, 12);
  });

  it('monitors with high risk, at confidence × 0.5', () => {
    const outcome = policy.decide(signalSet({ momentum: momentum(0.9), risk: risk('high') }), complete);
    expect(outcome).toMatchObject({ action: 'monitor', reason: 'insufficient_confidence' });
    expect(outcome.confidence).toBeCloseTo(0.45, 12);
  });

  it('does not trade when risk is blocked, with confidence 0', () => {
    const outcome = policy.decide(signalSet({ momentum: momentum(0.95), risk: risk('blocked') }), complete);
    expect(outcome).toEqual({ action: 'no_trade', reason: 'risk_blocked', confidence: 0 });
  });

  it('monitors at momentum confidence 0.6, and at exactly 0.7 (the threshold is strict)', () => {
    for (const c of [0.6, 0.7]) {
      const outcome = policy.decide(signalSet({ momentum: momentum(c), risk: risk('low') }), complete);
      expect(outcome).toEqual({ action: 'monitor', reason: 'insufficient_confidence', confidence: c });
    }
  });

  it('trades down on a bearish trend', () => {
    const outcome = policy.decide(
      signalSet({ momentum: momentum(0.8, 'bearish'), risk: risk('low') }),
      complete,
    );
    expect(outcome.direction).toBe('down');
  });

  it('never trades a neutral trend', () => {
    const outcome = policy.decide(
      signalSet({ momentum: momentum(0.9, 'neutral'), risk: risk('low') }),
      complete,
    );
    expect(outcome).toEqual({ action: 'monitor', reason: 'neutral_trend', confidence: 0.9 });
  });

  it('monitors when the risk agent gave no position size', () => {
    const signals = signalSet({ momentum: momentum(0.9), risk: { risk_level: 'low', overall_score: 0.1 } });
    expect(policy.decide(signals, complete).reason).toBe('missing_position_size');
  });

  it('accepts a Map as well as a record', () => {
    const map = new Map([
      ['momentum', enriched('momentum', momentum(0.85))],
      ['risk', enriched('risk', risk('low', 7))],
    ]);
    expect(policy.decide(map, complete)).toMatchObject({ action: 'trade', size: 7 });
  });
});

describe('rule policy with agents missing', () => {
  const partial = (missing: string[]) => ({ partial: true, missing });

  it('monitors without risk (nothing to size a trade with), confidence 0', () => {
    const outcome = policy.decide(signalSet({ momentum: momentum(0.95) }), partial(['risk']));
    expect(outcome).toEqual({ action: 'monitor', reason: 'missing_risk', confidence: 0 });
  });

  it('monitors without momentum, but a blocked risk still blocks', () => {
    expect(policy.decide(signalSet({ risk: risk('low') }), partial(['momentum']))).toEqual({
      action: 'monitor',
      reason: 'missing_momentum',
      confidence: 0,
    });
    expect(policy.decide(signalSet({ risk: risk('blocked') }), partial(['momentum'])).action).toBe(
      'no_trade',
    );
  });

  it('reports insufficient data with neither', () => {
    expect(policy.decide(signalSet({}), partial(['momentum', 'risk'])).action).toBe('insufficient_data');
  });

  it('throws a ValidationError naming the field for a malformed analysis', () => {
    const signals = signalSet({ momentum: momentum(0.9), risk: { ...risk('low'), risk_level: 'extreme' } });
    expect(() => policy.decide(signals, complete)).toThrow(ValidationError);
    expect(() => policy.decide(signals, complete)).toThrow(
      /^signals\.risk\.analysis\.risk_level: must be one of/,
    );
  });

  it('leaves deeply frozen inputs untouched', () => {
    const signals = deepFreeze(signalSet({ momentum: momentum(0.85), risk: risk('low') }));
    const before = structuredClone(signals);
    expect(policy.decide(signals, complete).action).toBe('trade');
    expect(signals).toEqual(before);
  });
});

describe('policyByName', () => {
  it('returns each built-in policy under its name', () => {
    expect(POLICY_NAMES).toEqual(['rule_based', 'weighted_average']);
    for (const name of POLICY_NAMES) expect(policyByName(name).name).toBe(name);
    expect(policyByName('rule_based').requiredAgents).toEqual(['momentum', 'risk']);
  });

  it('rejects an unknown name, listing the known ones', () => {
    expect(() => policyByName('toString')).toThrow(
      /^policy: unknown policy 'toString'; known: rule_based, weighted_average$/,
    );
  });
});
