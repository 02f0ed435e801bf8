import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { ConclaveError } from '../../src/core/errors.ts';
import { openSqliteStore } from '../../src/store/index.ts';
import type { KyselyStore } from '../../src/store/kysely-store.ts';
import type { WorkflowDefinition } from '../../src/workflow/index.ts';
import { makeEngine, type EngineHarness } from './harness.ts';

const open: EngineHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

async function journaled(store: KyselyStore, runId: string): Promise<string[]> {
  const { rows } = await sql<{ type: string; step_id: string | null; item_index: number | null }>`
    select type, step_id, item_index from workflow_events where run_id = ${runId} order by seq`.execute(
    store.db,
  );
  return rows.map((r) => [r.type, r.step_id, r.item_index].filter((x) => x !== null).join(':'));
}

describe('journaling', () => {
  it('commits each transition before acting on it, in order', async () => {
    const h = await makeEngine();
    open.push(h);
    const store = h.store as KyselyStore;
    const seenAtStart: string[][] = [];
    h.engine.registerBuiltin('look', async (_p, ctx) => {
      seenAtStart.push(await journaled(store, ctx.runId));
      return 1;
    });
    h.engine.register({
      name: 'j',
      steps: [
        { id: 'a', kind: 'builtin', builtin: 'look' },
        { id: 'b', kind: 'builtin', builtin: 'look', dependsOn: ['a'], when: () => false },
        { id: 'c', kind: 'builtin', builtin: 'look', dependsOn: ['b'] },
      ],
    });
    const id = await h.engine.start('j');
    await h.finish(id);
    // When a step's code runs, its step_started is already durable.
    expect(seenAtStart[0]?.at(-1)).toBe('step_started:a');
    expect(seenAtStart[1]?.at(-1)).toBe('step_started:c');
    expect(await journaled(store, id)).toStrictEqual([
      'run_started',
      'step_scheduled:a',
      'step_started:a',
      'step_completed:a',
      'step_skipped:b',
      'step_scheduled:c',
      'step_started:c',
      'step_completed:c',
      'run_completed',
    ]);
  });
});

describe('sub-workflows', () => {
  it('a failing child fails its parent step; cancelling the parent cancels the running child', async () => {
    const h = await makeEngine();
    open.push(h);
    h.engine.registerBuiltin('boom', () =>
      Promise.reject(new ConclaveError('AGENT_ERROR', 'child broke', { retryable: false })),
    );
    let childAborted = false;
    h.engine.registerBuiltin(
      'hang',
      (_p, ctx) => new Promise(() => ctx.signal.addEventListener('abort', () => (childAborted = true))),
    );
    h.engine.register({ name: 'bad_child', steps: [{ id: 'x', kind: 'builtin', builtin: 'boom' }] });
    h.engine.register({ name: 'slow_child', steps: [{ id: 'x', kind: 'builtin', builtin: 'hang' }] });
    h.engine.register({ name: 'p1', steps: [{ id: 'sub', kind: 'workflow', workflow: 'bad_child' }] });
    h.engine.register({ name: 'p2', steps: [{ id: 'sub', kind: 'workflow', workflow: 'slow_child' }] });

    const failed = await h.finish(await h.engine.start('p1'));
    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toContain('child broke');

    const id = await h.engine.start('p2');
    await h.settle();
    const child = (await h.engine.getAllWorkflowsStatus()).workflows.find((w) => w.parent_run_id === id);
    expect(child?.status).toBe('running');
    await h.engine.cancel(id, 'operator');
    await h.settle();
    expect(childAborted).toBe(true);
    expect((await h.engine.getWorkflowStatus(child?.workflow_id ?? '')).status).toBe('cancelled');
    expect((await h.engine.getWorkflowStatus(id)).status).toBe('cancelled');
  });
});

describe('resume of a fanned-out step', () => {
  it('runs again only the items that had not completed', async () => {
    const store = await openSqliteStore({ path: ':memory:' });
    const clock = new ManualClock();
    const calls: number[] = [];
    const def: WorkflowDefinition = {
      name: 'fan',
      steps: [
        {
          id: 'each',
          kind: 'builtin',
          builtin: 'item',
          params: { $from: 'item' },
          forEach: { items: 'input.list', join: 'fail_fast' },
        },
      ],
    };
    const first = await makeEngine({}, { store, clock });
    first.engine.registerBuiltin('item', (p) => {
      calls.push(p as number);
      return (p as number) % 2 === 0 ? Promise.resolve(p) : new Promise(() => undefined);
    });
    first.engine.register(def);
    const id = await first.engine.start('fan', { list: [0, 1, 2, 3] });
    await first.settle();
    await first.close();

    const second = await makeEngine({}, { store, clock });
    open.push(second);
    second.engine.registerBuiltin('item', (p) => {
      calls.push(p as number);
      return Promise.resolve(p);
    });
    await second.engine.recover();
    const run = await second.finish(id);
    expect(run.status).toBe('completed');
    expect(run.output).toStrictEqual({ each: [0, 1, 2, 3] });
    expect(calls.sort()).toStrictEqual([0, 1, 1, 2, 3, 3]);
    await store.close();
  });
});
