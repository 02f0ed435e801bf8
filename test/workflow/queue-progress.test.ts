import { afterEach, describe, expect, it } from 'vitest';
import { isConclaveError } from '../../src/core/errors.ts';
import { makeEngine, type EngineHarness } from './harness.ts';

let h: EngineHarness;
afterEach(async () => {
  await h.close();
});

describe('concurrency limit and queue', () => {
  it('runs 5 at once; the 6th waits in FIFO order and starts when one ends; past max_queued → QUEUE_FULL', async () => {
    h = await makeEngine({ maxConcurrentWorkflows: 5, maxQueuedWorkflows: 2 });
    const release = new Map<string, () => void>();
    const started: string[] = [];
    h.engine.registerBuiltin('hold', (_p, ctx) => {
      started.push(ctx.runId);
      return new Promise((resolve) => release.set(ctx.runId, () => resolve('done')));
    });
    h.engine.register({
      name: 'hold',
      steps: [{ id: 'h', kind: 'builtin', builtin: 'hold', timeoutMs: 3_600_000 }],
    });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await h.engine.start('hold'));
    await h.settle();
    expect(h.engine.stats()).toMatchObject({ active: 5, queued: 2 });
    expect(started).toStrictEqual(ids.slice(0, 5));
    expect((await h.engine.getWorkflowStatus(ids[5]!)).status).toBe('queued');

    const err = await h.engine.start('hold').catch((e: unknown) => e);
    expect(isConclaveError(err, 'QUEUE_FULL')).toBe(true);
    expect((await h.engine.getAllWorkflowsStatus()).summary.total).toBe(7); // nothing written for the refused one

    release.get(ids[2]!)?.();
    await h.settle();
    expect(started).toStrictEqual([...ids.slice(0, 5), ids[5]]);
    expect(h.engine.stats()).toMatchObject({ active: 5, queued: 1 });

    // A queued run can be cancelled without ever starting.
    expect(await h.engine.cancel(ids[6]!, 'not needed')).toBe(true);
    expect((await h.engine.getWorkflowStatus(ids[6]!)).status).toBe('cancelled');
    for (const id of ids.slice(0, 6)) release.get(id)?.();
    await h.settle();
    const all = await h.engine.getAllWorkflowsStatus();
    expect(all.summary.by_status).toMatchObject({ completed: 6, cancelled: 1, running: 0, queued: 0 });
    expect(all.summary.success_rate).toBeCloseTo(6 / 7);
    expect(started).toHaveLength(6);
  });
});

describe('progress updates', () => {
  it('sends the AMC progress_update shape to the requester, throttled on the clock, and always on state changes', async () => {
    h = await makeEngine({ progressUpdateIntervalMs: 5000 });
    const gates: (() => void)[] = [];
    h.engine.registerBuiltin('step', () => new Promise((resolve) => gates.push(() => resolve('ok'))));
    h.engine.registerBuiltin('boom', () => Promise.reject(new TypeError('Connection timeout')));
    h.engine.register({
      name: 'restart_discovery_system',
      steps: [
        { id: 'stopping_rq_workers', kind: 'builtin', builtin: 'step', timeoutMs: 3_600_000 },
        {
          id: 'clearing_job_queue',
          kind: 'builtin',
          builtin: 'step',
          dependsOn: ['stopping_rq_workers'],
          timeoutMs: 3_600_000,
        },
        {
          id: 'restarting_discovery_service',
          kind: 'builtin',
          builtin: 'boom',
          dependsOn: ['clearing_job_queue'],
        },
      ],
    });
    const id = await h.engine.start('restart_discovery_system', {}, { requester: 'management_agent' });
    await h.settle();
    // queued (state), running (state): always sent, however close together.
    expect(h.progress.map((p) => p.status)).toStrictEqual(['queued', 'running']);
    gates.shift()?.(); // first step completes inside the interval: held back
    await h.settle();
    expect(h.progress).toHaveLength(2);
    await h.clock.advance(5000); // the held-back update goes out when the interval ends
    await h.settle();
    expect(h.progress).toHaveLength(3);
    expect(h.progress[2]).toMatchObject({
      workflow_id: id,
      command_type: 'restart_discovery_system',
      progress: 0.333,
      current_step: 'clearing_job_queue',
      status: 'running',
      details: { steps_completed: ['stopping_rq_workers'], steps_failed: [], error_messages: [] },
    });
    await h.clock.advance(5000);
    gates.shift()?.(); // past the interval: sent at once; then the failure ends the run (state change)
    await h.settle();
    const last = h.progress.at(-1);
    expect(last).toMatchObject({
      status: 'failed',
      progress: 1,
      details: {
        steps_completed: ['stopping_rq_workers', 'clearing_job_queue'],
        steps_failed: ['restarting_discovery_service'],
      },
    });
    expect(last?.details.error_messages[0]).toContain('Connection timeout');
    expect(last?.timestamp).toBe(new Date(h.clock.now()).toISOString());
    expect(
      new Set(h.published.filter((p) => p.subject.startsWith('workflow.progress.')).map((p) => p.subject)),
    ).toStrictEqual(new Set(['workflow.progress.management_agent']));
    const report = h.published.find((p) => p.subject === 'workflow.errors.management_agent')?.data;
    expect(report).toMatchObject({
      error_type: 'workflow_execution_failed',
      error_message: 'Workflow restart_discovery_system failed: Connection timeout',
      workflow_id: id,
    });
    expect((report as { traceback: string }).traceback).toContain("step 'restarting_discovery_service'");
  });
});
