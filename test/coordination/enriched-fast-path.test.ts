import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkEnriched,
  enrichedSignalSchema,
  obviouslyValidEnriched,
} from '../../src/coordination/schemas.ts';
import { FAST_PATHS } from '../../src/coordination/analyses.ts';
import { ValidationError } from '../../src/core/errors.ts';
import { enriched, momentum } from './fixtures.ts';

// First, before any other check has primed the fast path's remembered timestamp.
describe('obviouslyValidEnriched on a fresh module', () => {
  it('refuses an empty timestamp before any valid one was seen', () => {
    const signal = enriched('momentum', momentum(0.9));
    expect(obviouslyValidEnriched({ ...signal, enriched_at: '' })).toBe(false);
    const source = { ...signal.source_signal, timestamp: '' };
    expect(obviouslyValidEnriched({ ...signal, source_signal: source })).toBe(false);
  });
});

/** Values near the edges of what the schema accepts, field by field. */
const text = fc.oneof(
  { weight: 40, arbitrary: fc.string({ minLength: 1, maxLength: 8 }) },
  fc.constant(''),
  fc.string({ maxLength: 8 }),
  fc.constant(undefined),
  fc.constant(null),
  fc.integer(),
);
const stamp = fc.oneof(
  { weight: 40, arbitrary: fc.constant('2026-01-02T03:04:05.000Z') },
  fc.constant('2026-01-02T03:04:05'),
  fc.constant('2026-01-02T03:04:05+02:00'),
  fc.constant('2026-02-30T03:04:05Z'),
  fc.constant('2026-01-02 03:04:05Z'),
  fc.constant('2024-02-29T00:00Z'),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.string({ maxLength: 25 }),
  fc.constant(undefined),
);
const object = fc.oneof(
  { weight: 40, arbitrary: fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue(), { maxKeys: 3 }) },
  fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue(), { maxKeys: 3 }),
  fc.constant([]),
  fc.constant(null),
  fc.constant('x'),
  fc.constant(Object.create(null) as Record<string, unknown>),
  fc.constant(new Date(0)),
);
const source = fc.record(
  { corr_id: text, instrument: text, timestamp: stamp, source: text, signal_type: text, payload: object },
  { requiredKeys: ['corr_id', 'instrument', 'timestamp', 'source', 'payload'] },
);
const candidate = fc.oneof(
  fc.record(
    {
      corr_id: text,
      agent_name: text,
      agent_version: text,
      enriched_at: stamp,
      analysis: object,
      source_signal: fc.oneof(source, object),
      extra: fc.jsonValue(),
    },
    { requiredKeys: ['corr_id', 'agent_name', 'agent_version', 'enriched_at', 'analysis', 'source_signal'] },
  ),
  fc.jsonValue(),
);

describe('the enriched signal fast path', () => {
  it('accepts nothing the schema refuses', () => {
    let accepted = 0;
    fc.assert(
      fc.property(candidate, (value) => {
        if (!obviouslyValidEnriched(value)) return;
        accepted++;
        expect(enrichedSignalSchema.safeParse(value).success).toBe(true);
      }),
      { numRuns: 5_000 },
    );
    expect(accepted).toBeGreaterThan(50); // the generator reaches the accepting side too
  });

  it('takes the common well-formed signal without copying it, and sends the rest to the schema', () => {
    const signal = enriched('momentum', momentum(0.8));
    expect(checkEnriched(signal)).toBe(signal);
    const odd = { ...signal, analysis: new Map() };
    expect(() => checkEnriched(odd)).toThrow(ValidationError);
    const dated = { ...signal, enriched_at: '2026-01-02T03:04:05.123456Z' };
    expect(checkEnriched(dated)).toBe(dated);
  });
});

describe('the analysis fast paths', () => {
  const num = fc.oneof(
    { weight: 10, arbitrary: fc.double({ min: -0.2, max: 1.2, noNaN: true }) },
    fc.constant(Number.NaN),
    fc.constant(Number.POSITIVE_INFINITY),
    fc.constant(-1),
    fc.constant(1),
    fc.constant('0.5'),
    fc.constant(undefined),
  );
  const analysis = fc.record(
    {
      trend_direction: fc.constantFrom('up', 'down', 'neutral', 'bullish', 'UP', 7),
      momentum_strength: num,
      confidence: num,
      risk_level: fc.constantFrom('low', 'medium', 'high', 'blocked', 'extreme'),
      overall_score: num,
      position_sizing: fc.oneof(
        fc.record({ recommended_size: fc.oneof(num, fc.double({ min: 0, max: 1e6, noNaN: true })) }),
        fc.constant(undefined),
        fc.constant(null),
        fc.constant([]),
      ),
      var: num,
      portfolio_impact: fc.oneof(num, fc.double({ min: -1.5, max: 1.5, noNaN: true })),
    },
    { requiredKeys: [] },
  );

  it('accept only what their schema accepts, and exactly as the schema would return it', () => {
    const accepted = new Map<unknown, number>();
    fc.assert(
      fc.property(analysis, (a) => {
        for (const [schema, fast] of FAST_PATHS) {
          if (!fast(a)) continue;
          accepted.set(schema, (accepted.get(schema) ?? 0) + 1);
          const parsed = schema.safeParse(a);
          expect(parsed.success).toBe(true);
          expect(parsed.data).toEqual(a);
        }
      }),
      { numRuns: 5_000 },
    );
    for (const schema of FAST_PATHS.keys()) expect(accepted.get(schema) ?? 0).toBeGreaterThan(20);
  });
});
