import { afterAll, describe, expect, it } from 'vitest';
import { isConclaveError } from '../../src/core/errors.ts';
import type { KyselyStore } from '../../src/store/kysely-store.ts';
import { WorkflowJournal, type RunRecord } from '../../src/workflow/index.ts';

/** A run row as `start` writes it. */
export function makeRun(id: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    name: 'restart_discovery_system',
    version: '1',
    status: 'queued',
    input: { strategy: 'hybrid_v1' },
    output: null,
    error: null,
    requester: 'management_agent',
    parentRunId: null,
    definition: { name: 'restart_discovery_system', steps: [{ id: 'a', kind: 'builtin', builtin: 'x' }] },
    createdAt: 8_640_000_000_000,
    startedAt: null,
    finishedAt: null,
    deadlineAt: null,
    updatedAt: 8_640_000_000_000,
    ...overrides,
  };
}

/** The journal's contract, run against every store dialect. */
export function journalContract(
  name: string,
  open: () => Promise<KyselyStore>,
  cleanup: () => Promise<void> = () => Promise.resolve(),
): void {
  describe(`workflow journal on ${name}`, () => {
    afterAll(cleanup);

    it('writes runs and events, reads events back in order and replays state', async () => {
      const store = await open();
      try {
        const journal = new WorkflowJournal(store.workflows);
        await journal.insertRun(makeRun('r1'));
        // Many appends in one turn: one group commit, sequence numbers in append order.
        const appended = await Promise.all([
          journal.append(
            {
              runId: 'r1',
              type: 'run_started',
              stepId: null,
              itemIndex: null,
              attempt: null,
              data: {},
              at: 1,
            },
            { status: 'running', startedAt: 1, deadlineAt: 900_001, updatedAt: 1 },
          ),
          ...Array.from({ length: 50 }, (_, i) =>
            journal.append({
              runId: 'r1',
              type: 'step_started',
              stepId: 'a',
              itemIndex: i,
              attempt: 1,
              data: { idempotency_key: `k${i}` },
              at: 2 + i,
            }),
          ),
        ]);
        expect(appended.map((e) => e.seq)).toStrictEqual(Array.from({ length: 51 }, (_, i) => i + 1));
        const events = await journal.events('r1');
        expect(events).toHaveLength(51);
        expect(events[0]).toStrictEqual({
          runId: 'r1',
          seq: 1,
          type: 'run_started',
          stepId: null,
          itemIndex: null,
          attempt: null,
          data: {},
          at: 1,
        });
        expect(events[50]).toMatchObject({
          seq: 51,
          stepId: 'a',
          itemIndex: 49,
          attempt: 1,
          data: { idempotency_key: 'k49' },
          at: 51,
        });
        const run = await journal.getRun('r1');
        expect(run).toStrictEqual({
          ...makeRun('r1'),
          status: 'running',
          startedAt: 1,
          deadlineAt: 900_001,
          updatedAt: 1,
        });
        expect(typeof run?.createdAt).toBe('number');
        expect((await journal.listRuns(['running'])).map((r) => r.id)).toStrictEqual(['r1']);
        expect(await journal.listRuns(['queued'])).toStrictEqual([]);

        // A fresh journal (a restarted process) continues the sequence after what it read.
        const again = new WorkflowJournal(store.workflows);
        await again.events('r1');
        const next = await again.append(
          {
            runId: 'r1',
            type: 'run_completed',
            stepId: null,
            itemIndex: null,
            attempt: null,
            data: { output: { x: 1 } },
            at: 99,
          },
          { status: 'completed', finishedAt: 99, output: { x: 1 }, updatedAt: 99 },
        );
        expect(next.seq).toBe(52);
        expect(await again.getRun('r1')).toMatchObject({
          status: 'completed',
          output: { x: 1 },
          finishedAt: 99,
        });
        await journal.close();
        await again.close();
      } finally {
        await store.close();
      }
    });

    it('refuses a duplicate run id with CONFLICT and commits nothing of that batch', async () => {
      const store = await open();
      try {
        const journal = new WorkflowJournal(store.workflows);
        await journal.insertRun(makeRun('dup'));
        const [dup, event] = await Promise.allSettled([
          journal.insertRun(makeRun('dup')),
          journal.append({
            runId: 'dup',
            type: 'run_started',
            stepId: null,
            itemIndex: null,
            attempt: null,
            data: {},
            at: 5,
          }),
        ]);
        expect(dup.status === 'rejected' && isConclaveError(dup.reason, 'CONFLICT')).toBe(true);
        expect(event.status).toBe('rejected');
        expect(await journal.events('dup')).toStrictEqual([]);
        // The journal keeps working after a failed commit.
        await journal.insertRun(makeRun('ok'));
        expect((await journal.getRun('ok'))?.id).toBe('ok');
      } finally {
        await store.close();
      }
    });
  });
}
