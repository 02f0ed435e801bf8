import { afterEach, describe, expect, it } from 'vitest';
import { ConclaveError } from '../../src/core/errors.ts';
import type { JoinMode } from '../../src/workflow/index.ts';
import { makeEngine, type EngineHarness } from './harness.ts';

let h: EngineHarness;
afterEach(async () => {
  await h.close();
});

/** Items 0..5; item 1 fails at once, item 4 never finishes unless aborted. */
async function mapRun(
  join: JoinMode,
  quorum?: number,
): Promise<{ status: string; output: unknown; error: string | null; aborted: number[] }> {
  h = await makeEngine();
  const aborted: number[] = [];
  h.engine.registerBuiltin('list', () => Promise.resolve({ items: [0, 1, 2, 3, 4, 5] }));
  h.engine.registerBuiltin('item', (p, ctx) => {
    const n = p as number;
    if (n === 1)
      return Promise.reject(new ConclaveError('AGENT_ERROR', `item ${n} broke`, { retryable: false }));
    if (n === 4) {
      return new Promise((_, reject) => {
        ctx.signal.addEventListener('abort', () => {
          aborted.push(n);
          reject(new ConclaveError('CANCELLED', 'aborted'));
        });
      });
    }
    return Promise.resolve(n * 10);
  });
  h.engine.register({
    name: `map_${join}`,
    steps: [
      { id: 'list', kind: 'builtin', builtin: 'list' },
      {
        id: 'each',
        kind: 'builtin',
        builtin: 'item',
        dependsOn: ['list'],
        params: { $from: 'item' },
        timeoutMs: 60_000,
        forEach: { items: 'steps.list.result.items', join, ...(quorum === undefined ? {} : { quorum }) },
      },
    ],
  });
  const run = await h.finish(await h.engine.start(`map_${join}`));
  return { status: run.status, output: run.output, error: run.error?.message ?? null, aborted };
}

describe('for_each joins under failures (none hangs)', () => {
  it('fail_fast: the first failure fails the step and aborts the branches still running', async () => {
    const r = await mapRun('fail_fast');
    expect(r.status).toBe('failed');
    expect(r.error).toContain('item 1 broke');
    expect(r.aborted).toStrictEqual([4]);
  });

  it('continue_on_error: waits for every branch (the stuck one times out) and reports each outcome', async () => {
    const r = await mapRun('continue_on_error');
    expect(r.status).toBe('completed');
    const each = (r.output as { each: { index: number; status: string }[] }).each;
    expect(each.map((o) => o.status)).toStrictEqual([
      'completed',
      'failed',
      'completed',
      'completed',
      'failed',
      'completed',
    ]);
    expect(r.aborted).toStrictEqual([4]); // by its step timeout
  });

  it('quorum: completes once enough items completed, cancelling the rest', async () => {
    const r = await mapRun('quorum', 3);
    expect(r.status).toBe('completed');
    expect((r.output as { each: number[] }).each).toStrictEqual([0, 20, 30]);
  });

  it('quorum: fails as soon as the quorum cannot be reached, instead of waiting', async () => {
    const r = await mapRun('quorum', 6);
    expect(r.status).toBe('failed');
    expect(r.error).toContain('quorum of 6 out of 6 items can no longer be reached');
    expect(r.aborted).toStrictEqual([4]);
  });

  it('respects max_concurrency', async () => {
    h = await makeEngine();
    let running = 0;
    let peak = 0;
    h.engine.registerBuiltin('slow', async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setImmediate(r));
      running--;
      return 1;
    });
    h.engine.register({
      name: 'conc',
      steps: [
        {
          id: 'e',
          kind: 'builtin',
          builtin: 'slow',
          forEach: { items: 'input.list', join: 'fail_fast', maxConcurrency: 2 },
        },
      ],
    });
    const run = await h.finish(await h.engine.start('conc', { list: [1, 2, 3, 4, 5] }));
    expect(run.status).toBe('completed');
    expect(peak).toBe(2);
  });
});

describe('timeouts and cancel', () => {
  it('times out a step attempt (the builtin sees its signal) and fails the run with TIMEOUT', async () => {
    h = await makeEngine();
    let sawAbort = false;
    h.engine.registerBuiltin(
      'hang',
      (_p, ctx) => new Promise(() => ctx.signal.addEventListener('abort', () => (sawAbort = true))),
    );
    h.engine.register({
      name: 'st',
      steps: [{ id: 'h', kind: 'builtin', builtin: 'hang', timeoutMs: 5000 }],
    });
    const id = await h.engine.start('st');
    await h.settle();
    await h.clock.advance(4999);
    await h.settle();
    expect((await h.engine.getWorkflowStatus(id)).status).toBe('running');
    const run = await h.finish(id, 1);
    expect(run.status).toBe('failed');
    expect(run.error?.code).toBe('TIMEOUT');
    expect(sawAbort).toBe(true);
  });

  it('times out the whole workflow at its deadline', async () => {
    h = await makeEngine({ workflowTimeoutMs: 10_000 });
    h.engine.registerBuiltin('hang', () => new Promise(() => undefined));
    h.engine.register({
      name: 'wt',
      steps: [{ id: 'h', kind: 'builtin', builtin: 'hang', timeoutMs: 60_000 }],
    });
    const reports: string[] = [];
    h.engine.events.on('error_report', (r) => reports.push(r.error_type));
    const id = await h.engine.start('wt');
    await h.settle();
    await h.clock.advance(10_000);
    const run = await h.finish(id);
    expect(run.status).toBe('timed_out');
    expect(run.finishedAt).toBe(run.deadlineAt);
    expect(reports).toStrictEqual(['workflow_timed_out']);
  });

  it('cancel: a running builtin sees its signal abort', async () => {
    h = await makeEngine();
    let reason: unknown = null;
    h.engine.registerBuiltin(
      'hang',
      (_p, ctx) =>
        new Promise(() =>
          ctx.signal.addEventListener('abort', () => {
            reason = ctx.signal.reason as unknown;
          }),
        ),
    );
    h.engine.register({ name: 'c', steps: [{ id: 'h', kind: 'builtin', builtin: 'hang' }] });
    const id = await h.engine.start('c');
    await h.settle();
    expect(await h.engine.cancel(id, 'operator')).toBe(true);
    const run = await h.finish(id);
    expect(run.status).toBe('cancelled');
    expect(run.error?.message).toContain('operator');
    expect(reason).toBeInstanceOf(ConclaveError);
    expect(await h.engine.cancel(id)).toBe(false);
  });

  it('cancel: a running task step is cancelled in the dispatcher', async () => {
    h = await makeEngine();
    let agentAborted = false;
    h.agent(
      'slow',
      ['slow.work'],
      (_req, signal) => new Promise(() => signal.addEventListener('abort', () => (agentAborted = true))),
    );
    h.engine.register({ name: 'ct', steps: [{ id: 't', kind: 'task', pattern: 'slow.work', payload: {} }] });
    const id = await h.engine.start('ct');
    await h.settle();
    expect(h.dispatcher.stats().inFlight).toBe(1);
    await h.engine.cancel(id, 'stop it');
    const run = await h.finish(id);
    expect(run.status).toBe('cancelled');
    await h.settle();
    expect(agentAborted).toBe(true);
    expect(h.dispatcher.stats().inFlight).toBe(0);
    expect(h.dispatcher.stats().failed).toBe(1);
  });
});
