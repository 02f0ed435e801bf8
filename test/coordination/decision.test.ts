import { describe, expect, it } from 'vitest';
import { buildAuditEntry, buildDecision } from '../../src/coordination/decision.ts';
import { decisionAuditEntrySchema, decisionSchema } from '../../src/coordination/schemas.ts';
import { deepFreeze, momentum, risk, signalSet } from './fixtures.ts';

const decision = buildDecision({
  corrId: 'req_abc123',
  decisionId: 'dec_1',
  policy: 'rule_based',
  outcome: {
    action: 'trade',
    direction: 'up',
    size: 100,
    reason: 'high_confidence_momentum',
    confidence: 0.85,
  },
  route: { rule: 'default', subject: 'execution.order' },
  partial: false,
  missingAgents: [],
  contributingAgents: ['momentum', 'risk'],
  firstSignalAtMs: Date.parse('2026-01-02T03:04:05.000Z'),
  decidedAtMs: Date.parse('2026-01-02T03:04:05.250Z'),
});

describe('buildDecision', () => {
  it('produces a valid decision with its timings', () => {
    expect(decisionSchema.parse(decision)).toEqual(decision);
    expect(decision.timings).toEqual({
      first_signal_at: '2026-01-02T03:04:05.000Z',
      decided_at: '2026-01-02T03:04:05.250Z',
      latency_ms: 250,
    });
    expect(decision).toMatchObject({ action: 'trade', direction: 'up', size: 100, policy: 'rule_based' });
  });
});

describe('buildAuditEntry', () => {
  it('records each input agent in the document shape and validates', () => {
    const signals = deepFreeze(signalSet({ momentum: momentum(0.85), risk: risk('low') }));
    const entry = buildAuditEntry(decision, signals, '0.1.0', {
      processingTimeMs: 3,
      pattern: 'fan_in',
      timeoutOccurred: false,
    });
    expect(decisionAuditEntrySchema.parse(entry)).toEqual(entry);
    expect(entry.input_signals).toEqual({
      momentum: { agent_version: '1.2.0', confidence: 0.85, timestamp: '2026-01-02T03:04:06.000Z' },
      risk: { agent_version: '1.2.0', confidence: null, timestamp: '2026-01-02T03:04:06.000Z' },
    });
    expect(entry.metadata).toEqual({
      processing_time_ms: 3,
      orchestration_pattern: 'fan_in',
      timeout_occurred: false,
      error_count: 0,
    });
    expect(entry.decision).toBe(decision); // shared: the coordinator freezes decisions once built
  });
});
