import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JoinPolicy, SharedState } from '../../src/state/index.ts';

/**
 * The contract's property: under random interleavings of joins (duplicates included) and deadline
 * claims, each correlation is claimed exactly once and no stored signal ever changes.
 * @remarks Registered inside the contract's describe; `getState` and `prefix` read that test's
 * fresh state and key prefix.
 */
export function joinClaimProperty(getState: () => SharedState, prefix: () => string): void {
  describe('property: joins and claims', () => {
    type Op =
      | { kind: 'join'; corr: number; agent: number; value: { n: number; tags: string[] } }
      | { kind: 'claim'; corr: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('join' as const),
          corr: fc.nat(3),
          agent: fc.nat(4),
          value: fc.record({ n: fc.integer(), tags: fc.array(fc.string(), { maxLength: 3 }) }),
        }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('claim' as const), corr: fc.nat(3) }) },
    );
    const agents = ['momentum', 'risk', 'correlation', 'cost', 'execution'];
    const policy: JoinPolicy = {
      required: ['momentum', 'risk', 'correlation'],
      minAgents: 3,
      ttlMs: 600_000,
    };

    it('claims each correlation exactly once and never changes a stored signal', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(op, { minLength: 1, maxLength: 6 }), { maxLength: 12 }),
          async (groups) => {
            const corr = (i: number): string => `${prefix()}r${run}:${i}`;
            run++;
            const claims = new Map<string, number>();
            const stored = new Map<string, Map<string, unknown>>();
            const touched = new Set<string>();
            for (const group of groups) {
              // Each group runs concurrently; groups run one after another.
              await Promise.all(
                group.map(async (o) => {
                  const id = corr(o.corr);
                  touched.add(id);
                  if (o.kind === 'claim') {
                    const c = await getState().claimDecision(id, 'deadline');
                    if (c.claimed) claims.set(id, (claims.get(id) ?? 0) + 1);
                    return;
                  }
                  const agent = agents[o.agent]!;
                  const sent = structuredClone(o.value);
                  const copy = structuredClone(o.value);
                  const r = await getState().joinSignal(id, agent, sent, policy);
                  sent.tags.push('changed after join');
                  if (r.claimed) claims.set(id, (claims.get(id) ?? 0) + 1);
                  if (r.outcome === 'stored') {
                    const byAgent = stored.get(id) ?? new Map<string, unknown>();
                    expect(byAgent.has(agent)).toBe(false);
                    byAgent.set(agent, copy);
                    stored.set(id, byAgent);
                  }
                }),
              );
              for (const [id, byAgent] of stored) {
                const snap = await getState().getCorrelation(id);
                expect(snap?.signals).toEqual(Object.fromEntries(byAgent));
              }
            }
            for (const id of touched) {
              const last = await getState().claimDecision(id, 'deadline');
              if (last.claimed) claims.set(id, (claims.get(id) ?? 0) + 1);
              if (stored.has(id)) expect(claims.get(id)).toBe(1);
              else expect(claims.get(id) ?? 0).toBe(0);
            }
          },
        ),
        { numRuns: 60 },
      );
    });
  });
}
