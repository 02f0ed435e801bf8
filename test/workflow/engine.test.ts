import { afterEach, describe, expect, it } from 'vitest';
import { ConclaveError } from '../../src/core/errors.ts';
import type { BuiltinContext } from '../../src/workflow/index.ts';
import { makeEngine, type EngineHarness } from './harness.ts';

let h: EngineHarness;
afterEach(async () => {
  await h.close();
});

/** Registers a builtin that records its calls and returns `value(params)`. */
function recorder(
  name: string,
  value: (params: unknown, ctx: BuiltinContext) => unknown = (p) => p,
): { params: unknown; key: string }[] {
  const calls: { params: unknown; key: string }[] = [];
  h.engine.registerBuiltin(name, (params, ctx) => {
    calls.push({ params, key: ctx.idempotencyKey });
    return Promise.resolve(value(params, ctx));
  });
  return calls;
}

describe('workflow engine: DAG execution', () => {
  it('runs steps in dependency order, passing results by reference, through builtins and agents', async () => {
    h = await makeEngine();
    h.agent('momentum', ['momentum.analyze'], (req) => ({ score: (req.payload.symbols as string[]).length }));
    const calls = recorder('fetch', () => ({ symbols: ['AAPL', 'MSFT'] }));
    const reports = recorder('report');
    h.engine.register({
      name: 'analyze',
      steps: [
        { id: 'fetch', kind: 'builtin', builtin: 'fetch' },
        {
          id: 'score',
          kind: 'task',
          pattern: 'momentum.analyze',
          dependsOn: ['fetch'],
          payload: { symbols: { $from: 'steps.fetch.result.symbols' } },
        },
        {
          id: 'report',
          kind: 'builtin',
          builtin: 'report',
          dependsOn: ['score'],
          params: { s: { $from: 'steps.score.result.score' }, who: { $from: 'input.who' } },
        },
      ],
    });
    const id = await h.engine.start('analyze', { who: 'desk' });
    const run = await h.finish(id);
    expect(run.status).toBe('completed');
    expect(calls).toHaveLength(1);
    expect(reports[0]?.params).toStrictEqual({ s: 2, who: 'desk' });
    expect(run.output).toMatchObject({ score: { score: 2 }, report: { s: 2, who: 'desk' } });
    const status = await h.engine.getWorkflowStatus(id);
    expect(status.progress).toBe(1);
    expect(status.steps.score?.status).toBe('completed');
  });

  it('skips a step whose condition is false; its dependents still run when their own conditions allow', async () => {
    h = await makeEngine();
    const a = recorder('a', () => ({ risk: 'high' }));
    const trade = recorder('trade');
    const notify = recorder('notify');
    h.engine.register({
      name: 'cond',
      steps: [
        { id: 'assess', kind: 'builtin', builtin: 'a' },
        {
          id: 'trade',
          kind: 'builtin',
          builtin: 'trade',
          dependsOn: ['assess'],
          when: (c) =>
            c.steps.assess?.result !== undefined &&
            (c.steps.assess.result as { risk: string }).risk === 'low',
        },
        {
          id: 'notify',
          kind: 'builtin',
          builtin: 'notify',
          dependsOn: ['trade'],
          when: (c) => c.steps.trade?.status === 'skipped',
        },
      ],
    });
    const run = await h.finish(await h.engine.start('cond'));
    expect(run.status).toBe('completed');
    expect(a).toHaveLength(1);
    expect(trade).toHaveLength(0);
    expect(notify).toHaveLength(1);
    const status = await h.engine.getWorkflowStatus(run.id);
    expect(status.steps.trade?.status).toBe('skipped');
  });

  it('evaluates YAML conditions written in the condition language', async () => {
    h = await makeEngine();
    recorder('assess', () => ({ risk: 'low' }));
    const trade = recorder('trade');
    const hedge = recorder('hedge');
    h.engine.registerDocument(`
name: yaml_cond
steps:
  - { id: assess, kind: builtin, builtin: assess }
  - id: trade
    kind: builtin
    builtin: trade
    depends_on: [assess]
    when: { path: steps.assess.result.risk, op: eq, value: low }
  - id: hedge
    kind: builtin
    builtin: hedge
    depends_on: [assess]
    when: { path: steps.assess.result.risk, op: eq, value: high }
`);
    const run = await h.finish(await h.engine.start('yaml_cond'));
    expect(run.status).toBe('completed');
    expect(trade).toHaveLength(1);
    expect(hedge).toHaveLength(0);
  });

  it('fails a step whose reference does not resolve, naming the reference', async () => {
    h = await makeEngine();
    recorder('a', () => ({}));
    recorder('b');
    h.engine.register({
      name: 'ref',
      steps: [
        { id: 'a', kind: 'builtin', builtin: 'a' },
        {
          id: 'b',
          kind: 'builtin',
          builtin: 'b',
          dependsOn: ['a'],
          params: { x: { $from: 'steps.a.result.missing' } },
        },
      ],
    });
    const run = await h.finish(await h.engine.start('ref'));
    expect(run.status).toBe('failed');
    expect(run.error?.message).toContain("reference 'steps.a.result.missing' does not resolve");
  });

  it('retries a failing step by its policy, with backoff on the clock, then succeeds', async () => {
    h = await makeEngine();
    let n = 0;
    const seen: number[] = [];
    h.engine.registerBuiltin('flaky', (_p, ctx) => {
      seen.push(ctx.attempt);
      if (++n < 3) return Promise.reject(new ConclaveError('AGENT_UNAVAILABLE', 'not yet'));
      return Promise.resolve('ok');
    });
    h.engine.register({
      name: 'retry',
      steps: [
        {
          id: 's',
          kind: 'builtin',
          builtin: 'flaky',
          retry: { maxRetries: 3, delayMs: 1000, backoffMultiplier: 2 },
        },
      ],
    });
    const id = await h.engine.start('retry');
    await h.settle();
    expect(seen).toStrictEqual([1]);
    await h.clock.advance(999);
    await h.settle();
    expect(seen).toStrictEqual([1]);
    await h.clock.advance(1);
    await h.settle();
    expect(seen).toStrictEqual([1, 2]);
    await h.clock.advance(2000);
    await h.settle();
    expect(seen).toStrictEqual([1, 2, 3]);
    expect((await h.finish(id)).status).toBe('completed');
  });

  it('ends the workflow early as stopped when a builtin returns stop, without running later stages', async () => {
    h = await makeEngine();
    recorder('gate', () => ({ stop: true, reason: 'market closed' }));
    const later = recorder('later');
    h.engine.register({
      name: 'stages',
      steps: [
        { id: 'gate', kind: 'builtin', builtin: 'gate' },
        { id: 'later', kind: 'builtin', builtin: 'later', dependsOn: ['gate'] },
      ],
    });
    const run = await h.finish(await h.engine.start('stages'));
    expect(run.status).toBe('stopped');
    expect(run.output).toStrictEqual({ stopped_at: 'gate', reason: 'market closed' });
    expect(later).toHaveLength(0);
  });

  it('runs a sub-workflow and uses its output', async () => {
    h = await makeEngine();
    recorder('inner', (p) => ({ doubled: (p as { n: number }).n * 2 }));
    const outer = recorder('outer');
    h.engine.register({
      name: 'child',
      steps: [{ id: 'x', kind: 'builtin', builtin: 'inner', params: { n: { $from: 'input.n' } } }],
    });
    h.engine.register({
      name: 'parent',
      steps: [
        { id: 'sub', kind: 'workflow', workflow: 'child', input: { n: 21 } },
        {
          id: 'use',
          kind: 'builtin',
          builtin: 'outer',
          dependsOn: ['sub'],
          params: { $from: 'steps.sub.result.x.doubled' },
        },
      ],
    });
    const run = await h.finish(await h.engine.start('parent'));
    expect(run.status).toBe('completed');
    expect(outer[0]?.params).toBe(42);
    const all = await h.engine.getAllWorkflowsStatus();
    expect(all.workflows.find((w) => w.name === 'child')?.parent_run_id).toBe(run.id);
  });
});
