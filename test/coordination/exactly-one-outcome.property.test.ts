import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createWeightedPolicy } from '../../src/coordination/weighted-policy.ts';
import type { EnrichedSignal } from '../../src/coordination/schemas.ts';
import { harness, signal } from './coordinator-harness.ts';
import { momentum, risk } from './fixtures.ts';

const AGENT_NAMES = ['momentum', 'risk', 'correlation'] as const;
const CORR_IDS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'] as const;

const signalArb = fc
  .record({
    corr: fc.constantFrom(...CORR_IDS),
    agent: fc.constantFrom(...AGENT_NAMES),
    confidence: fc.double({ min: 0, max: 1, noNaN: true }),
    level: fc.constantFrom('low', 'medium', 'high', 'blocked'),
  })
  .map(({ corr, agent, confidence, level }): EnrichedSignal => {
    const analysis =
      agent === 'momentum'
        ? momentum(confidence)
        : agent === 'risk'
          ? risk(level)
          : { portfolio_impact: confidence };
    return signal(corr, agent, analysis);
  });

const stepArb = fc.oneof(
  fc.record({
    kind: fc.constant('signals' as const),
    batch: fc.array(signalArb, { minLength: 1, maxLength: 6 }),
  }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 120_000 }) }),
);

describe('SignalCoordinator: exactly one outcome per correlation', () => {
  it('holds over random interleavings, duplicates, missing agents and clock advances', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { maxLength: 20 }), async (steps) => {
        const h = await harness({
          policy: createWeightedPolicy(),
          options: { fanIn: { profile: 'workflow', minAgents: 2 } },
        });
        try {
          const inputs: EnrichedSignal[] = [];
          const copies: EnrichedSignal[] = [];
          for (const step of steps) {
            if (step.kind === 'advance') {
              await h.clock.advance(step.ms);
              continue;
            }
            inputs.push(...step.batch);
            copies.push(...structuredClone(step.batch));
            await Promise.all(step.batch.map((s) => h.coordinator.ingest(s)));
          }
          await h.clock.advance(400_000); // past every deadline
          expect(inputs).toEqual(copies);
          const seen = new Set(inputs.map((s) => s.corr_id));
          const audit = await h.store.audit.list({ kind: 'decision', limit: 1_000 });
          for (const id of CORR_IDS) {
            const expected = seen.has(id) ? 1 : 0;
            expect(h.decisions().filter((d) => d.corr_id === id)).toHaveLength(expected);
            expect(audit.filter((e) => e.corrId === id)).toHaveLength(expected);
          }
          expect(h.coordinator.stats().pendingDeadlines).toBe(0);
        } finally {
          await h.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
