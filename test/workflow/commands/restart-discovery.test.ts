import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isConclaveError } from '../../../src/core/errors.ts';
import { makeCommandHarness, type CommandHarness } from './harness.ts';

const AMC_STEPS = [
  'stopping_rq_workers',
  'clearing_job_queue',
  'restarting_discovery_service',
  'validating_system_health',
  'updating_configuration',
];

describe('restart_discovery_system', () => {
  let h: CommandHarness;
  beforeEach(async () => {
    h = await makeCommandHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('drains the workers, clears their queue, restarts, re-enables and persists the strategy', async () => {
    const { conclave } = h;
    const gate = h.holdDiscovery();
    const running = await conclave.dispatcher.submit({ pattern: 'candidate_discovery', payload: {} });
    await h.settle();
    const runId = await conclave.commands.restartDiscoverySystem(
      { strategy: 'hybrid_v1' },
      'management_agent',
    );
    await h.settle();
    expect(conclave.registry.get('discovery_algorithm_agent')?.status).toBe('disabled');
    expect((await conclave.workflows.getWorkflowStatus(runId)).current_step).toBe('stopping_rq_workers');
    // Submitted while the workers are stopped: they wait (to retry) until the queue is cleared.
    const stuck = await conclave.dispatcher.submitMany([
      { pattern: 'candidate_discovery', payload: { n: 1 }, maxRetries: 10 },
      { pattern: 'candidate_discovery', payload: { n: 2 }, maxRetries: 10 },
    ]);
    await h.settle();
    gate.release();
    const rec = await h.finish(runId);
    expect(rec.status).toBe('completed');
    expect((await conclave.dispatcher.wait(running.id)).status).toBe('completed');
    for (const t of stuck) expect((await conclave.dispatcher.wait(t.id)).error?.code).toBe('CANCELLED');
    const output = rec.output as Record<string, unknown>;
    expect(output['stopping_rq_workers']).toEqual({
      agents: ['discovery_algorithm_agent'],
      force_stop: false,
      cancelled: 0,
    });
    expect(output['clearing_job_queue']).toEqual({ cancelled: 2 });
    expect(conclave.registry.get('discovery_algorithm_agent')?.status).toBe('running');
    expect(h.calls.filter((c) => c.pattern === 'discovery.restart').map((c) => c.payload)).toEqual([
      { strategy: 'hybrid_v1' },
    ]);
    expect(await conclave.store.settings.get('discovery.strategy')).toMatchObject({
      value: 'hybrid_v1',
      updatedBy: 'management_agent',
    });
    expect(h.stepOrder(runId)).toEqual(AMC_STEPS);
    expect(
      h.progress
        .filter((u) => u.workflow_id === runId)
        .every((u) => u.command_type === 'restart_discovery_system'),
    ).toBe(true);
  });

  it('with force_stop cancels the running discovery tasks at once', async () => {
    const { conclave } = h;
    h.holdDiscovery();
    const running = await conclave.dispatcher.submit({ pattern: 'candidate_discovery', payload: {} });
    await h.settle();
    const runId = await conclave.commands.restartDiscoverySystem({ forceStop: true, strategy: 'legacy_v0' });
    const rec = await h.finish(runId);
    expect(rec.status).toBe('completed');
    const task = await conclave.dispatcher.wait(running.id);
    expect(task.error?.code).toBe('CANCELLED');
    expect((rec.output as Record<string, unknown>)['stopping_rq_workers']).toMatchObject({ cancelled: 1 });
    expect(conclave.registry.isAvailable('discovery_algorithm_agent')).toBe(true);
    expect((await conclave.store.settings.get('discovery.strategy'))?.value).toBe('legacy_v0');
  });

  it('fails naming the busy agent when the drain times out, and puts the workers back', async () => {
    const { conclave } = h;
    const gate = h.holdDiscovery();
    await conclave.dispatcher.submit({ pattern: 'candidate_discovery', payload: {}, timeoutMs: 600_000 });
    await h.settle();
    const runId = await conclave.commands.restartDiscoverySystem({ strategy: 'hybrid_v1' });
    const rec = await h.finish(runId);
    expect(rec.status).toBe('failed');
    expect(rec.error?.message).toMatch(
      /discovery workers still busy after 5000 ms: discovery_algorithm_agent \(1 in flight\)/,
    );
    expect(h.calls.some((c) => c.pattern === 'discovery.restart')).toBe(false);
    expect(conclave.registry.get('discovery_algorithm_agent')?.status).toBe('running');
    expect(await conclave.store.settings.get('discovery.strategy')).toBeUndefined();
    gate.release();
  });

  it('refuses bad parameters, naming the parameter and what is allowed', async () => {
    const bad = await h.conclave.commands
      .receiveCommand('restart_discovery_system', { strategy: 'no spaces allowed' }, 'ops')
      .catch((e: unknown) => e);
    expect(isConclaveError(bad, 'VALIDATION_FAILED')).toBe(true);
    expect((bad as Error).message).toMatch(/^parameters\.strategy: must be a strategy name/);
    const extra = await h.conclave.commands
      .receiveCommand('restart_discovery_system', { strategy: 'x', forceStop: true }, 'ops')
      .catch((e: unknown) => e);
    expect((extra as Error).message).toBe(
      'parameters.forceStop: is not a parameter of restart_discovery_system; allowed: force_stop, strategy',
    );
    const missing = await h.conclave.commands
      .receiveCommand('restart_discovery_system', {}, 'ops')
      .catch((e: unknown) => e);
    expect((missing as Error).message).toMatch(/^parameters\.strategy: must be a strategy name/);
  });
});
