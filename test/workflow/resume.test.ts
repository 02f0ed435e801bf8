import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { openSqliteStore } from '../../src/store/index.ts';
import type { KyselyStore } from '../../src/store/kysely-store.ts';
import type { WorkflowDefinition } from '../../src/workflow/index.ts';
import { makeEngine, type EngineHarness } from './harness.ts';

const open: EngineHarness[] = [];
let store: KyselyStore;
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  await store.close();
});

const counts = new Map<string, number>();
const bump = (name: string): void => void counts.set(name, (counts.get(name) ?? 0) + 1);

const pipeline: WorkflowDefinition = {
  name: 'pipeline',
  steps: [
    { id: 'a', kind: 'builtin', builtin: 'a' },
    {
      id: 'b',
      kind: 'task',
      pattern: 'risk.assess',
      dependsOn: ['a'],
      payload: { v: { $from: 'steps.a.result.v' } },
    },
    { id: 'c', kind: 'builtin', builtin: 'c', dependsOn: ['b'], params: { $from: 'steps.b.result' } },
  ],
};

/** An engine whose agent and builtins count their executions; `hang` names what never finishes. */
async function engineOn(clock: ManualClock, hang: 'b' | 'c' | null): Promise<EngineHarness> {
  const h = await makeEngine({}, { store, clock });
  open.push(h);
  h.agent('risk', ['risk.assess'], (req) => {
    bump('b');
    return hang === 'b' ? new Promise(() => undefined) : { risk: (req.payload.v as number) + 1 };
  });
  h.engine.registerBuiltin('a', () => {
    bump('a');
    return Promise.resolve({ v: 1 });
  });
  h.engine.registerBuiltin('c', (p) => {
    bump('c');
    return hang === 'c' ? new Promise(() => undefined) : Promise.resolve(p);
  });
  return h;
}

describe('resume after a restart', () => {
  it('rejoins the in-flight task step by its deterministic id and never re-runs completed steps', async () => {
    counts.clear();
    store = await openSqliteStore({ path: ':memory:' });
    const clock = new ManualClock();
    const first = await engineOn(clock, 'b');
    first.engine.register(pipeline);
    const id = await first.engine.start('pipeline');
    await first.settle();
    expect(Object.fromEntries(counts)).toStrictEqual({ a: 1, b: 1 });
    await first.close(); // journals nothing more: as far as the journal is concerned, the process died here

    const second = await engineOn(clock, null);
    second.engine.register(pipeline);
    await second.dispatcher.recover();
    expect(await second.engine.recover()).toBe(1);
    const run = await second.finish(id);
    expect(run.error).toBeNull();
    expect(run.status).toBe('completed');
    expect(run.output).toMatchObject({ c: { risk: 2 } });
    // a ran once; b's task was the same dispatcher task (redelivered once after the restart); c once.
    expect(Object.fromEntries(counts)).toStrictEqual({ a: 1, b: 2, c: 1 });
    expect(second.dispatcher.stats().submitted).toBe(0);
  });

  it('takes the outcome of a task that completed in the dispatcher but whose completion was not journaled', async () => {
    counts.clear();
    store = await openSqliteStore({ path: ':memory:' });
    const clock = new ManualClock();
    const first = await engineOn(clock, 'c');
    first.engine.register(pipeline);
    const id = await first.engine.start('pipeline');
    await first.settle();
    expect(Object.fromEntries(counts)).toStrictEqual({ a: 1, b: 1, c: 1 });
    await first.close();
    // The crash window: the task's completion is committed in the dispatcher, the step's is not.
    await sql`delete from workflow_events where run_id = ${id} and step_id in ('b', 'c') and type <> 'step_started'`.execute(
      store.db,
    );
    await sql`delete from workflow_events where run_id = ${id} and step_id = 'c'`.execute(store.db);

    const second = await engineOn(clock, null);
    second.engine.register(pipeline);
    await second.dispatcher.recover();
    await second.engine.recover();
    const run = await second.finish(id);
    expect(run.status).toBe('completed');
    expect(Object.fromEntries(counts)).toStrictEqual({ a: 1, b: 1, c: 2 });
  });

  it('fails a run whose definition held functions and is not registered again, saying so', async () => {
    store = await openSqliteStore({ path: ':memory:' });
    const clock = new ManualClock();
    const first = await engineOn(clock, 'c');
    const withFn: WorkflowDefinition = {
      ...pipeline,
      name: 'fn_pipeline',
      steps: pipeline.steps.map((s) => (s.id === 'c' ? { ...s, when: () => true } : s)),
    };
    first.engine.register(withFn);
    const id = await first.engine.start('fn_pipeline');
    await first.settle();
    await first.close();

    const second = await engineOn(clock, null);
    await second.dispatcher.recover();
    await second.engine.recover();
    await second.settle();
    const status = await second.engine.getWorkflowStatus(id);
    expect(status.status).toBe('failed');
    expect(status.error?.message).toBe("workflow 'fn_pipeline' version 1 is not registered");
  });

  it('resumes a JSON-snapshotted definition without registering it again', async () => {
    counts.clear();
    store = await openSqliteStore({ path: ':memory:' });
    const clock = new ManualClock();
    const first = await engineOn(clock, 'c');
    first.engine.register(pipeline);
    const id = await first.engine.start('pipeline');
    await first.settle();
    await first.close();

    const second = await engineOn(clock, null); // builtins registered, definition not
    await second.dispatcher.recover();
    await second.engine.recover();
    expect((await second.finish(id)).status).toBe('completed');
    expect(Object.fromEntries(counts)).toStrictEqual({ a: 1, b: 1, c: 2 });
  });
});
