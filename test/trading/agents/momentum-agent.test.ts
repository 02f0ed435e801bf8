import { describe, expect, it } from 'vitest';
import { momentumAnalysisSchema } from '../../../src/coordination/index.ts';
import { isConclaveError, ValidationError } from '../../../src/core/index.ts';
import { analyzeMomentum, MomentumTracker } from '../../../src/trading/agents/index.ts';
import { makeBars, normals } from './bars.ts';

/** Mean-reverting noise around a flat level: no trend to find. */
function flatNoise(seed: number) {
  const z = normals(301, seed);
  return makeBars({ seed, returns: z.slice(1).map((v, i) => 0.015 * (v - z[i]!)) });
}
const seeds = Array.from({ length: 20 }, (_, i) => i + 1);

describe('analyzeMomentum', () => {
  it('calls a clear uptrend up with high confidence', () => {
    const result = analyzeMomentum(makeBars({ seed: 3, driftPerBar: 0.005 }));
    expect(result.trend_direction).toBe('up');
    expect(result.confidence).toBeGreaterThan(0.7);
    expect(result.indicators.ema_fast).toBeGreaterThan(result.indicators.ema_slow!);
    const calls = seeds.map((s) => analyzeMomentum(makeBars({ seed: s, driftPerBar: 0.005 })));
    expect(calls.filter((c) => c.trend_direction === 'up').length).toBeGreaterThanOrEqual(18);
  });

  it('calls a clear downtrend down', () => {
    const result = analyzeMomentum(makeBars({ seed: 3, driftPerBar: -0.005 }));
    expect(result.trend_direction).toBe('down');
    expect(result.score).toBeLessThan(0);
    const calls = seeds.map((s) => analyzeMomentum(makeBars({ seed: s, driftPerBar: -0.005 })));
    expect(calls.filter((c) => c.trend_direction === 'down').length).toBeGreaterThanOrEqual(17);
  });

  it('finds no confident trend in flat noise', () => {
    const calls = seeds.map((s) => analyzeMomentum(flatNoise(s)));
    expect(calls.every((c) => c.confidence < 0.7)).toBe(true);
    expect(calls.filter((c) => c.trend_direction === 'neutral').length).toBeGreaterThanOrEqual(17);
    const mean = calls.reduce((s, c) => s + c.confidence, 0) / calls.length;
    expect(mean).toBeLessThan(0.35);
  });

  it('is neutral with zero confidence while warming up', () => {
    const result = analyzeMomentum(makeBars({ count: 20, driftPerBar: 0.01 }));
    expect(result).toMatchObject({ trend_direction: 'neutral', confidence: 0, ready: false });
  });

  it('parses with the coordinator schema, ready or not', () => {
    for (const bars of [makeBars({ count: 5 }), makeBars({ driftPerBar: 0.004 }), flatNoise(9)]) {
      expect(momentumAnalysisSchema.safeParse(analyzeMomentum(bars)).success).toBe(true);
    }
  });

  it('the tracker agrees with the batch function on the same window', () => {
    const bars = makeBars({ count: 200, seed: 5, driftPerBar: 0.002 });
    const tracker = new MomentumTracker({ lookbackBars: 200 });
    for (const bar of bars) tracker.update(bar);
    expect(tracker.analysis()).toEqual(analyzeMomentum(bars, { lookbackBars: 200 }));
    expect(tracker.analysis().as_of).toBe(new Date(bars.at(-1)!.timestamp).toISOString());
  });

  it('rejects bad params with a ValidationError naming the parameter', () => {
    const bars = makeBars();
    const cases: [Record<string, unknown>, string][] = [
      [{ fastBars: 0 }, 'params.fastBars'],
      [{ fastBars: 30, slowBars: 20 }, 'params.slowBars'],
      [{ directionThreshold: 1.5 }, 'params.directionThreshold'],
      [{ rsiBars: 'x' }, 'params.rsiBars'],
    ];
    for (const [params, field] of cases) {
      let caught: unknown;
      try {
        analyzeMomentum(bars, params);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ValidationError);
      expect(isConclaveError(caught, 'VALIDATION_FAILED')).toBe(true);
      expect((caught as ValidationError).field).toBe(field);
    }
  });
});
