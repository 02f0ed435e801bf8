import { describe, expect, it } from 'vitest';
import { createRulePolicy } from '../../src/coordination/rule-policy.ts';
import { DEFAULT_STAGE_OPTIONS, InlineStageRunner, signalQuality } from '../../src/coordination/stages.ts';
import { deepFreeze, momentum, risk, signalSet } from './fixtures.ts';

const full = { partial: false, missing: [] as string[] };

describe('sequential stages (in-process chain)', () => {
  const runner = new InlineStageRunner(createRulePolicy());

  it('passes all four stages and trades with the policy’s direction and size', async () => {
    const signals = deepFreeze(signalSet({ momentum: momentum(0.9, 'up', 0.8), risk: risk('low', 120) }));
    const out = await runner.run('c1', signals, full);
    expect(out.stages.map((s) => `${s.stage}:${s.status}`)).toEqual([
      'validation:passed',
      'risk_check:passed',
      'position_sizing:passed',
      'execution_timing:passed',
    ]);
    expect(out.outcome).toMatchObject({ action: 'trade', direction: 'up', size: 120 });
    expect(out.stages[0]).toMatchObject({ result: { quality_score: 0.95, validated: true } });
    expect(out.stages[3]).toMatchObject({ result: { urgency: 'immediate', order_type: 'market' } });
  });

  it('stops at validation with poor_signal_quality when quality is under 0.6', async () => {
    // completeness 2/3 (correlation missing) × mean confidence (0.7 + 1) / 2 = 0.567
    const signals = signalSet({ momentum: momentum(0.7), risk: risk('low') });
    const out = await runner.run('c2', signals, { partial: true, missing: ['correlation'] });
    expect(out.stages).toEqual([{ stage: 'validation', status: 'stopped', reason: 'poor_signal_quality' }]);
    expect(out.outcome).toMatchObject({ action: 'monitor', reason: 'poor_signal_quality' });
    expect(out.outcome.confidence).toBeCloseTo(0.567, 3);
  });

  it('stops at the risk check with excessive_risk above 0.8, and treats blocked as 1', async () => {
    const high = await runner.run(
      'c3',
      signalSet({ momentum: momentum(0.9), risk: risk('medium', 50, 0.85) }),
      full,
    );
    expect(high.stages.map((s) => s.status)).toEqual(['passed', 'stopped']);
    expect(high.outcome).toMatchObject({ action: 'no_trade', reason: 'excessive_risk' });
    const blocked = await runner.run(
      'c4',
      signalSet({ momentum: momentum(0.9), risk: risk('blocked', 0, 0.1) }),
      full,
    );
    expect(blocked.outcome.reason).toBe('excessive_risk');
  });

  it('stops at sizing with the policy’s own reason when the policy does not trade', async () => {
    const out = await runner.run('c5', signalSet({ momentum: momentum(0.65), risk: risk('low') }), full);
    expect(out.stages.at(-1)).toEqual({
      stage: 'position_sizing',
      status: 'stopped',
      reason: 'insufficient_confidence',
    });
    expect(out.outcome.action).toBe('monitor');
  });

  it('caps the size at max_position_size and asks for patient execution on weak momentum', async () => {
    const capped = new InlineStageRunner(createRulePolicy(), {
      ...DEFAULT_STAGE_OPTIONS,
      maxPositionSize: 40,
    });
    const out = await capped.run(
      'c6',
      signalSet({ momentum: momentum(0.9, 'down', 0.5), risk: risk('low', 100) }),
      full,
    );
    expect(out.outcome).toMatchObject({ action: 'trade', direction: 'down', size: 40 });
    expect(out.stages[2]).toMatchObject({ result: { capped: true } });
    expect(out.stages[3]).toMatchObject({ result: { urgency: 'patient', order_type: 'limit' } });
  });

  it('never writes to the signals', async () => {
    const signals = deepFreeze(signalSet({ momentum: momentum(0.9), risk: risk('low') }));
    const before = JSON.stringify(signals);
    await runner.run('c7', signals, full);
    expect(JSON.stringify(signals)).toBe(before);
  });

  it('signal quality is completeness times mean confidence; no signals is 0', () => {
    expect(signalQuality({}, [])).toBe(0);
    expect(signalQuality(signalSet({ momentum: momentum(0.5) }), ['risk'])).toBeCloseTo(0.25);
  });
});
