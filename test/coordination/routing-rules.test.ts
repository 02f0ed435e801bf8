import { describe, expect, it } from 'vitest';
import type { PolicyOutcome } from '../../src/coordination/policy.ts';
import {
  DEFAULT_ROUTING_RULES,
  applyRoute,
  buildRoutingContext,
  codeRule,
  compileRoutingRules,
  createRouter,
  type RoutingRuleConfig,
} from '../../src/coordination/routing-rules.ts';
import { ValidationError } from '../../src/core/errors.ts';
import { deepFreeze, momentum, risk, signalSet } from './fixtures.ts';

const trade: PolicyOutcome = {
  action: 'trade',
  direction: 'up',
  size: 100,
  reason: 'high_confidence_momentum',
  confidence: 0.9,
};
const router = createRouter(compileRoutingRules(DEFAULT_ROUTING_RULES));

function routeFor(instrument: string, level: string, strength: number, outcome: PolicyOutcome = trade) {
  const signals = signalSet({ momentum: momentum(0.9, 'up', strength), risk: risk(level) }, instrument);
  return router.route(buildRoutingContext(signals, outcome));
}

/** The ValidationError compiling `rules` throws. */
function rejection(rules: unknown): ValidationError {
  try {
    compileRoutingRules(rules);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('default routing rules', () => {
  it('routes BTC/USD with high risk to crypto_high_risk, halving the position with extra checks', () => {
    const match = routeFor('BTC/USD', 'high', 0.9);
    expect(match.route).toEqual({
      rule: 'crypto_high_risk',
      subject: 'execution.crypto.high_risk',
      position_multiplier: 0.5,
      additional_checks: ['volatility', 'liquidity'],
    });
    expect(applyRoute(trade, match)).toEqual({ ...trade, action: 'trade_with_caution', size: 50 });
  });

  it('routes EURUSD with momentum strength 0.8 to forex_momentum with the breakout strategy', () => {
    const match = routeFor('EURUSD', 'low', 0.8);
    expect(match.route).toEqual({
      rule: 'forex_momentum',
      subject: 'execution.forex.momentum',
      strategy: 'momentum_breakout',
    });
    expect(applyRoute(trade, match)).toEqual(trade);
  });

  it('routes EURUSD with strength 0.7 (not above) and BTC/USD with low risk to default', () => {
    expect(routeFor('EURUSD', 'low', 0.7).route).toEqual({ rule: 'default', subject: 'execution.order' });
    expect(routeFor('BTC/USD', 'low', 0.9).route.rule).toBe('default');
  });

  it('routes AAPL to default', () => {
    expect(routeFor('AAPL', 'high', 0.95).route).toEqual({ rule: 'default', subject: 'execution.order' });
  });

  it('never lets a rule make a decision less cautious', () => {
    const monitor: PolicyOutcome = { action: 'monitor', reason: 'insufficient_confidence', confidence: 0.45 };
    const match = routeFor('BTC/USD', 'high', 0.9, monitor);
    expect(match.route.rule).toBe('crypto_high_risk');
    expect(applyRoute(monitor, match).action).toBe('monitor');
  });

  it('drops direction and size when a rule stops the trade', () => {
    const [rule] = compileRoutingRules([
      { name: 'halt', when: true, subject: 'execution.halt', action: 'no_trade' },
    ]);
    const match = createRouter([rule!]).route(buildRoutingContext(signalSet({}), trade));
    expect(applyRoute(trade, match)).toEqual({ action: 'no_trade', reason: trade.reason, confidence: 0.9 });
  });

  it('reads frozen signals without touching them', () => {
    const signals = deepFreeze(signalSet({ momentum: momentum(0.9), risk: risk('high') }, 'ETH/USD'));
    const before = structuredClone(signals);
    expect(router.route(buildRoutingContext(signals, trade)).route.rule).toBe('crypto_high_risk');
    expect(signals).toEqual(before);
  });
});

describe('rule order and rule sources', () => {
  const wide: RoutingRuleConfig = {
    name: 'any_usd',
    when: { path: 'source_signal.instrument', op: 'ends_with', value: '/USD' },
    subject: 'execution.usd',
  };

  it('lets the first matching rule win', () => {
    const context = buildRoutingContext(signalSet({ risk: risk('high') }, 'BTC/USD'), trade);
    const [crypto] = DEFAULT_ROUTING_RULES;
    expect(createRouter(compileRoutingRules([wide, crypto])).route(context).route.rule).toBe('any_usd');
    expect(createRouter(compileRoutingRules([crypto, wide])).route(context).route.rule).toBe(
      'crypto_high_risk',
    );
  });

  it('falls back to default when no rule matches, and accepts code rules', () => {
    const context = buildRoutingContext(signalSet({ risk: risk('low') }, 'AAPL'), trade);
    const big = codeRule(
      { name: 'big_size', subject: 'execution.block' },
      (c) => (c.decision.size ?? 0) >= 100,
    );
    const throwing = codeRule({ name: 'broken', subject: 'x' }, () => {
      throw new Error('boom');
    });
    expect(createRouter([]).route(context).route).toEqual({ rule: 'default', subject: 'execution.order' });
    expect(createRouter([throwing, big]).route(context).route.rule).toBe('big_size');
    expect(
      createRouter([big]).route(buildRoutingContext(signalSet({}), { ...trade, size: 5 })).route.rule,
    ).toBe('default');
  });

  it('describes compiled conditions for the audit', () => {
    expect(compileRoutingRules(DEFAULT_ROUTING_RULES)[1]?.description).toBe(
      'source_signal.instrument length == 6 and signals.momentum.analysis.momentum_strength > 0.7',
    );
  });
});

describe('rule config validation', () => {
  it('names the rule index and field of a bad condition', () => {
    const err = rejection([
      wideRule(),
      { name: 'b', subject: 'y', when: { all: [{ path: 'a', op: 'bigger', value: 1 }] } },
    ]);
    expect(err.field).toBe('rules[1].when.all[0].op');
  });

  it('names a bad multiplier, an unknown key, a missing subject and a bad action', () => {
    expect(rejection([{ ...wideRule(), position_multiplier: 2 }]).message).toBe(
      'rules[0].position_multiplier: must be between 0 and 1 (a rule can only reduce a position) (got 2)',
    );
    expect(rejection([{ ...wideRule(), handler: 'x' }]).field).toBe('rules[0]');
    const { subject: _, ...noSubject } = wideRule();
    expect(rejection([noSubject]).field).toBe('rules[0].subject');
    expect(rejection([{ ...wideRule(), action: 'trade' }]).field).toBe('rules[0].action');
  });

  it('rejects duplicate names and a non-array', () => {
    expect(rejection([wideRule(), wideRule()]).field).toBe('rules[1].name');
    expect(rejection({ rules: [] }).message).toMatch(/^rules: must be an array of rules/);
  });
});

function wideRule(): Record<string, unknown> {
  return { name: 'a', when: true, subject: 'execution.a' };
}
