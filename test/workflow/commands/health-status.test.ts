import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isConclaveError } from '../../../src/core/errors.ts';
import { COMMAND_TYPES, type SystemHealth } from '../../../src/workflow/commands/index.ts';
import { makeCommandHarness, type CommandHarness } from './harness.ts';

describe('health_check, status_report and command dispatch', () => {
  let h: CommandHarness;
  beforeEach(async () => {
    h = await makeCommandHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('reports healthy, then degraded once an agent is disabled', async () => {
    const first = await h.finish(await h.conclave.commands.healthCheck());
    const healthy = (first.output as Record<string, SystemHealth>)['checking_system_health'];
    expect(healthy).toMatchObject({ status: 'healthy', store: true, open_breakers: [], halts: 0 });
    expect(healthy?.agents).toMatchObject({ running: 6, disabled: 0 });
    expect(healthy?.workflows.active).toBe(1);

    h.conclave.registry.disable('execution_agent', 'maintenance');
    const second = await h.finish(await h.conclave.commands.receiveCommand('health_check', {}, 'ops'));
    const degraded = (second.output as Record<string, SystemHealth>)['checking_system_health'];
    expect(degraded).toMatchObject({ status: 'degraded', agents: { running: 5, disabled: 1 } });
  });

  it('reports the workflow summary, dispatcher counters and agent counts', async () => {
    await h.finish(await h.conclave.commands.healthCheck());
    await h.conclave.dispatcher.wait(
      (await h.conclave.dispatcher.submit({ pattern: 'execute_order', payload: {} })).id,
    );
    const rec = await h.finish(await h.conclave.commands.statusReport('management_agent'));
    const report = (rec.output as Record<string, Record<string, unknown>>)['generating_status_report'];
    expect(report?.['workflows']).toMatchObject({ total: 2, by_status: { completed: 1, running: 1 } });
    expect(report?.['dispatcher']).toMatchObject({ completed: 1, submitted: 1 });
    expect(report?.['agents']).toMatchObject({ running: 6, total: 6 });
    expect(h.stepOrder(rec.id)).toEqual(['generating_status_report']);
    expect(h.progress.find((u) => u.workflow_id === rec.id)?.command_type).toBe('status_report');
  });

  it('refuses an unknown command, listing the known ones, and parameters for a parameterless one', async () => {
    const err = await h.conclave.commands
      .receiveCommand('RESTART_EVERYTHING', {}, 'ops')
      .catch((e: unknown) => e);
    expect(isConclaveError(err, 'VALIDATION_FAILED')).toBe(true);
    expect((err as Error).message).toBe(
      `command_type: unknown command 'RESTART_EVERYTHING'; known commands: ${COMMAND_TYPES.join(', ')}`,
    );
    const extra = await h.conclave.commands
      .receiveCommand('status_report', { verbose: true }, 'ops')
      .catch((e: unknown) => e);
    expect((extra as Error).message).toBe(
      'parameters.verbose: is not a parameter of status_report; allowed: none',
    );
  });
});
