import { afterEach, describe, expect, it } from 'vitest';
import type { Bus } from '../../src/bus/bus.ts';
import { resolveFanIn } from '../../src/coordination/fan-in-policy.ts';
import type { DecisionPolicy } from '../../src/coordination/policy.ts';
import { createWeightedPolicy } from '../../src/coordination/weighted-policy.ts';
import { ConclaveError, ValidationError } from '../../src/core/errors.ts';
import { harness, signal, type Harness } from './coordinator-harness.ts';
import { momentum, risk } from './fixtures.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const alwaysTrade: DecisionPolicy = {
  name: 'always_trade',
  requiredAgents: ['momentum', 'risk'],
  decide: () => ({ action: 'trade', direction: 'up', size: 100, reason: 'test', confidence: 0.9 }),
};

describe('SignalCoordinator fan-in', () => {
  it('decides when all three agents are in: trade, published, routed to execution, audited', async () => {
    h = await harness({ policy: createWeightedPolicy(), options: { fanIn: { profile: 'workflow' } } });
    const c = h.coordinator;
    expect(await c.ingest(signal('c1', 'momentum', momentum(0.9)))).toBe('stored');
    expect(await c.ingest(signal('c1', 'risk', risk('low')))).toBe('stored');
    expect(await c.ingest(signal('c1', 'correlation', { portfolio_impact: 0.5 }))).toBe('decided');
    await h.clock.advance(0);
    const [decision] = h.decisions();
    expect(decision?.action).toBe('trade');
    expect(decision?.confidence).toBeGreaterThan(0.5);
    expect(decision?.contributing_agents).toEqual(['momentum', 'risk', 'correlation']);
    expect(decision?.partial).toBe(false);
    expect(h.subjectsFor('c1')).toEqual(
      expect.arrayContaining(['orchestrated.decision', 'execution.order', 'risk.monitor.decision']),
    );
    const audit = await h.store.audit.list({ kind: 'decision', corrId: 'c1' });
    expect(audit).toHaveLength(1);
    expect((audit[0]?.data as { decision: { decision_id: string } }).decision.decision_id).toBe(
      decision?.decision_id,
    );
    expect(h.coordinator.stats().pendingDeadlines).toBe(0);
  });

  it('with auditDecisions off publishes the decision but appends no decision entry', async () => {
    h = await harness({ options: { auditDecisions: false } });
    await h.coordinator.ingest(signal('c1b', 'momentum', momentum(0.9)));
    expect(await h.coordinator.ingest(signal('c1b', 'risk', risk('low')))).toBe('decided');
    expect(h.decisions()).toHaveLength(1);
    expect(await h.store.audit.list({ kind: 'decision', corrId: 'c1b' })).toEqual([]);
    await h.coordinator.ingest(signal('c1b', 'risk', risk('low'))); // late signals are still audited
    expect((await h.store.audit.list({ corrId: 'c1b' })).map((a) => a.kind)).toEqual(['late_signal']);
  });

  it('at the deadline with one required agent missing makes a partial decision naming it', async () => {
    h = await harness({
      policy: createWeightedPolicy(),
      options: { fanIn: { profile: 'workflow', minAgents: 2 } },
    });
    const timeouts: string[] = [];
    h.coordinator.on('timeout', (id) => timeouts.push(id));
    await h.coordinator.ingest(signal('c2', 'momentum', momentum(0.9)));
    await h.coordinator.ingest(signal('c2', 'risk', risk('low')));
    await h.clock.advance(299_999);
    expect(h.decisions()).toHaveLength(0);
    await h.clock.advance(1);
    const [decision] = h.decisions();
    expect(decision?.partial).toBe(true);
    expect(decision?.missing_agents).toEqual(['correlation']);
    expect(timeouts).toEqual(['c2']);
    expect(await h.store.audit.list({ kind: 'decision', corrId: 'c2' })).toHaveLength(1);
  });

  it('at the deadline with fewer than minAgents publishes insufficient_data naming the missing agent', async () => {
    h = await harness();
    await h.coordinator.ingest(signal('c3', 'momentum', momentum(0.9)));
    await h.clock.advance(60_000);
    const [decision] = h.decisions();
    expect(decision?.action).toBe('insufficient_data');
    expect(decision?.missing_agents).toEqual(['risk']);
    expect(decision?.reason).toContain('risk');
    expect(h.subjectsFor('c3').some((s) => s.startsWith('execution.'))).toBe(false);
    expect(h.coordinator.stats().insufficient).toBe(1);
  });

  it('a blocked risk gives no_trade and nothing on any execution subject', async () => {
    h = await harness();
    await h.coordinator.ingest(signal('c4', 'momentum', momentum(0.95)));
    await h.coordinator.ingest(signal('c4', 'risk', risk('blocked')));
    await h.clock.advance(0);
    expect(h.decisions()[0]?.action).toBe('no_trade');
    expect(h.subjectsFor('c4')).toContain('portfolio.decision');
    expect(h.subjectsFor('c4').some((s) => s.startsWith('execution.'))).toBe(false);
  });

  it('routes BTC/USD with high risk to execution.crypto.high_risk with multiplier 0.5', async () => {
    h = await harness({ policy: alwaysTrade });
    await h.coordinator.ingest(signal('c5', 'momentum', momentum(0.9), 'BTC/USD'));
    await h.coordinator.ingest(signal('c5', 'risk', risk('high'), 'BTC/USD'));
    await h.clock.advance(0);
    const exec = h.messages.find((m) => m.subject === 'execution.crypto.high_risk');
    const decision = exec?.data as {
      action: string;
      size: number;
      route: { rule: string; position_multiplier: number };
    };
    expect(decision.route.rule).toBe('crypto_high_risk');
    expect(decision.route.position_multiplier).toBe(0.5);
    expect(decision.action).toBe('trade_with_caution');
    expect(decision.size).toBe(50);
  });
});

describe('SignalCoordinator error isolation', () => {
  it('ignores duplicates and records late signals without acting on them', async () => {
    h = await harness();
    await h.coordinator.ingest(signal('c6', 'momentum', momentum(0.9)));
    expect(await h.coordinator.ingest(signal('c6', 'momentum', momentum(0.1)))).toBe('duplicate');
    await h.coordinator.ingest(signal('c6', 'risk', risk('low')));
    expect(await h.coordinator.ingest(signal('c6', 'correlation', { portfolio_impact: 0 }))).toBe('late');
    await h.clock.advance(120_000);
    expect(h.decisions()).toHaveLength(1);
    expect(h.decisions()[0]?.confidence).toBe(0.9); // the first momentum signal, not the duplicate
    expect(await h.store.audit.list({ kind: 'late_signal', corrId: 'c6' })).toHaveLength(1);
    expect(h.coordinator.stats()).toMatchObject({ duplicates: 1, late: 1, decisions: 1 });
  });

  it('rejects and records a malformed signal while its correlation still decides', async () => {
    h = await harness();
    const bad = { ...signal('c7', 'momentum', momentum(0.9)), analysis: 'not an object' };
    expect(await h.coordinator.ingest(bad)).toBe('rejected');
    await h.coordinator.ingest(signal('c7', 'momentum', momentum(0.9)));
    await h.coordinator.ingest(signal('c7', 'risk', risk('low')));
    await h.clock.advance(0);
    const [rejected] = await h.store.audit.list({ kind: 'signal_rejected' });
    expect(rejected?.data).toMatchObject({ agent: 'momentum' });
    expect(JSON.stringify(rejected?.data)).toContain('analysis');
    expect(h.decisions().map((d) => d.corr_id)).toEqual(['c7']);
  });

  it('keeps delivering to the other sinks when one fails, and records the failure after 3 attempts', async () => {
    let portfolioAttempts = 0;
    const failing = (bus: Bus): Bus =>
      new Proxy(bus, {
        get(target, prop, receiver) {
          if (prop !== 'publish') return Reflect.get(target, prop, receiver) as unknown;
          return (subject: string, data: unknown, options?: Parameters<Bus['publish']>[2]) => {
            if (subject === 'portfolio.decision') {
              portfolioAttempts++;
              return Promise.reject(new ConclaveError('BUS_ERROR', 'portfolio sink down'));
            }
            return target.publish(subject, data, options);
          };
        },
      });
    h = await harness({ wrapBus: failing });
    const done = Promise.all([
      h.coordinator.ingest(signal('c8', 'momentum', momentum(0.9))),
      h.coordinator.ingest(signal('c8', 'risk', risk('low'))),
    ]);
    await h.clock.advance(1_000);
    await done;
    expect(portfolioAttempts).toBe(3);
    expect(h.subjectsFor('c8')).toEqual(
      expect.arrayContaining(['execution.order', 'risk.monitor.decision', 'audit.decision']),
    );
    const [failure] = await h.store.audit.list({ kind: 'delivery_failed', corrId: 'c8' });
    expect(failure?.data).toMatchObject({ subject: 'portfolio.decision', attempts: 3 });
    expect(await h.store.audit.list({ kind: 'decision', corrId: 'c8' })).toHaveLength(1);
  });

  it('consumes from the bus: acks good signals and terms a bad one without redelivery', async () => {
    h = await harness();
    await h.coordinator.start();
    const rejected: string[] = [];
    h.coordinator.on('signal_rejected', (reason) => rejected.push(reason));
    await h.bus.publish('signals.enriched.momentum', { corr_id: 'c9', agent_name: 'momentum' });
    await h.bus.publish('signals.enriched.momentum', signal('c9', 'momentum', momentum(0.9)));
    await h.bus.publish('signals.enriched.risk', signal('c9', 'risk', risk('low')));
    await h.clock.advance(120_000);
    expect(h.decisions().map((d) => d.corr_id)).toEqual(['c9']);
    expect(rejected).toHaveLength(1);
  });
});

describe('SignalCoordinator options', () => {
  it('resolves the documents profiles and rejects a TTL shorter than the deadline', () => {
    expect(resolveFanIn({ profile: 'simple' }, [], 'AAPL', undefined)).toEqual({
      requiredAgents: ['momentum', 'risk'],
      minAgents: 2,
      decisionTimeoutMs: 60_000,
      stateTtlMs: 120_000,
    });
    expect(resolveFanIn({ profile: 'workflow' }, [], 'AAPL', undefined).decisionTimeoutMs).toBe(300_000);
    expect(resolveFanIn({ profile: 'high_frequency' }, ['momentum', 'risk'], 'X', undefined)).toMatchObject({
      minAgents: 1,
      decisionTimeoutMs: 10_000,
      stateTtlMs: 60_000,
    });
    expect(() => resolveFanIn({ decisionTimeoutMs: 5_000, stateTtlMs: 5_000 }, [], 'X', undefined)).toThrow(
      ValidationError,
    );
  });

  it('rejects a bad override at construction, naming the field', async () => {
    const bad = harness({ options: { fanIn: { byInstrument: { 'BTC/USD': { minAgents: 5 } } } } });
    await expect(bad).rejects.toThrow(/fan_in\.minAgents: .*between 1 and 2.*got 5/);
  });

  it('high_frequency decides on one agent at 10 s', async () => {
    h = await harness({ options: { fanIn: { profile: 'high_frequency' } } });
    await h.coordinator.ingest(signal('c10', 'momentum', momentum(0.9)));
    await h.clock.advance(10_000);
    const [decision] = h.decisions();
    expect(decision?.partial).toBe(true);
    expect(decision?.action).toBe('monitor');
    expect(decision?.missing_agents).toEqual(['risk']);
  });

  it('applies per-instrument and per-signal-type overrides', async () => {
    h = await harness({
      options: {
        fanIn: {
          profile: 'simple',
          byInstrument: { 'BTC/USD': { decisionTimeoutMs: 5_000, minAgents: 1 } },
          bySignalType: { news: { profile: 'high_frequency' } },
        },
      },
    });
    await h.coordinator.ingest(signal('btc', 'momentum', momentum(0.9), 'BTC/USD'));
    await h.coordinator.ingest(signal('aapl', 'momentum', momentum(0.9), 'AAPL'));
    await h.coordinator.ingest(signal('news', 'momentum', momentum(0.9), 'AAPL', 'news'));
    await h.clock.advance(5_000);
    expect(h.decisions().map((d) => d.corr_id)).toEqual(['btc']);
    await h.clock.advance(5_000);
    expect(h.decisions().map((d) => [d.corr_id, d.action])).toEqual([
      ['btc', 'monitor'],
      ['news', 'monitor'],
    ]);
    await h.clock.advance(50_000);
    expect(h.decisions().at(-1)).toMatchObject({ corr_id: 'aapl', action: 'insufficient_data' });
  });

  it('rate limiting delays decisions but never drops one', async () => {
    h = await harness({ options: { rateLimitRps: 1 } });
    const all: Promise<unknown>[] = [];
    for (const id of ['r1', 'r2', 'r3']) {
      all.push(h.coordinator.ingest(signal(id, 'momentum', momentum(0.9))));
      all.push(h.coordinator.ingest(signal(id, 'risk', risk('low'))));
    }
    await h.clock.advance(0);
    expect(h.decisions()).toHaveLength(1);
    await h.clock.advance(1_000);
    expect(h.decisions()).toHaveLength(2);
    await h.clock.advance(1_000);
    await Promise.all(all);
    expect(
      h
        .decisions()
        .map((d) => d.corr_id)
        .sort(),
    ).toEqual(['r1', 'r2', 'r3']);
  });
});
