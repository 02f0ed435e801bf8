import { describe, expect, it } from 'vitest';
import {
  readAnalysis,
  momentumAnalysisSchema,
  correlationAnalysisSchema,
} from '../../src/coordination/analyses.ts';
import { parseDecision, parseEnriched, parseSignal } from '../../src/coordination/schemas.ts';
import { ValidationError } from '../../src/core/errors.ts';
import { enriched, momentum, normalized, signalSet } from './fixtures.ts';

/** The ValidationError `fn` throws, failing the test if it throws nothing or something else. */
function rejection(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('parseSignal', () => {
  it('accepts a normalized signal and keeps unknown keys', () => {
    const parsed = parseSignal({ ...normalized('EURUSD'), extra: 1 });
    expect(parsed.instrument).toBe('EURUSD');
    expect(parsed['extra']).toBe(1);
  });

  it('accepts timestamps with Z, an offset, or none (Python isoformat)', () => {
    for (const timestamp of [
      '2026-01-02T03:04:05Z',
      '2026-01-02T03:04:05+02:00',
      '2026-01-02T03:04:05.123456',
    ]) {
      expect(parseSignal({ ...normalized(), timestamp }).timestamp).toBe(timestamp);
    }
  });

  it('names the missing field', () => {
    const { corr_id: _, ...rest } = normalized();
    const err = rejection(() => parseSignal(rest));
    expect(err.field).toBe('corr_id');
    expect(err.message).toBe('corr_id: is required (expected string)');
  });

  it('names a bad timestamp and shows the value', () => {
    const err = rejection(() => parseSignal({ ...normalized(), timestamp: 'yesterday' }));
    expect(err.field).toBe('timestamp');
    expect(err.message).toContain('(got "yesterday")');
  });
});

describe('parseEnriched', () => {
  it('accepts an enriched signal', () => {
    expect(parseEnriched(enriched('risk', { risk_level: 'low' })).agent_name).toBe('risk');
  });

  it('names nested fields of the source signal', () => {
    const bad = { ...enriched('risk', {}), source_signal: { ...normalized(), payload: 'x' } };
    const err = rejection(() => parseEnriched(bad));
    expect(err.field).toBe('source_signal.payload');
    expect(err.message).toBe('source_signal.payload: must be an object (got "x")');
  });

  it('rejects an analysis that is not an object', () => {
    expect(rejection(() => parseEnriched({ ...enriched('risk', {}), analysis: [1] })).field).toBe('analysis');
  });
});

describe('analyses', () => {
  it('names the field and the range when confidence is out of [0, 1]', () => {
    const signals = signalSet({ momentum: momentum(1.4) });
    const err = rejection(() => readAnalysis(signals, 'momentum', momentumAnalysisSchema));
    expect(err.message).toBe('signals.momentum.analysis.confidence: must be between 0 and 1 (got 1.4)');
  });

  it('reads bullish/bearish as up/down and leaves the agent output as sent', () => {
    const signals = signalSet({ momentum: momentum(0.8, 'bearish') });
    expect(readAnalysis(signals, 'momentum', momentumAnalysisSchema)?.trend_direction).toBe('down');
    expect(signals['momentum']?.analysis['trend_direction']).toBe('bearish');
  });

  it('rejects an unknown trend direction, listing the accepted ones', () => {
    const err = rejection(() =>
      readAnalysis(signalSet({ momentum: momentum(0.8, 'sideways') }), 'momentum', momentumAnalysisSchema),
    );
    expect(err.field).toBe('signals.momentum.analysis.trend_direction');
    expect(err.message).toContain('"bullish"');
  });

  it('accepts a negative portfolio impact down to -1 and no further', () => {
    const ok = signalSet({ correlation: { portfolio_impact: -1 } });
    expect(readAnalysis(ok, 'correlation', correlationAnalysisSchema)?.portfolio_impact).toBe(-1);
    const bad = signalSet({ correlation: { portfolio_impact: -1.5 } });
    expect(rejection(() => readAnalysis(bad, 'correlation', correlationAnalysisSchema)).message).toBe(
      'signals.correlation.analysis.portfolio_impact: must be between -1 and 1 (got -1.5)',
    );
  });

  it('returns undefined for an agent that has not reported', () => {
    expect(readAnalysis(signalSet({}), 'momentum', momentumAnalysisSchema)).toBeUndefined();
  });
});

describe('parseDecision', () => {
  it('rejects a confidence outside [0, 1] naming the field', () => {
    const err = rejection(() => parseDecision({ confidence: 2 }));
    expect(err.details['issues']).toEqual(
      expect.arrayContaining(['confidence: must be between 0 and 1 (got 2)']),
    );
  });
});
