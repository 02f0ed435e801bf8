import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.ts';
import { isConclaveError } from '../../../src/core/errors.ts';
import { openSqliteStore } from '../../../src/store/index.ts';
import type { EmergencyStopSetting } from '../../../src/workflow/commands/index.ts';
import { makeCommandHarness, type CommandHarness } from './harness.ts';

/** Registers a trading workflow and a research one, both waiting until cancelled. */
function registerLongRuns(h: CommandHarness): void {
  h.conclave.workflows.registerBuiltin('test.wait_until_cancelled', (_params, ctx) => {
    return new Promise((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true });
    });
  });
  const step = {
    id: 'waiting',
    kind: 'builtin' as const,
    builtin: 'test.wait_until_cancelled',
    timeoutMs: 3_600_000,
  };
  // The trading one as a YAML document, so the document form's `tags` is covered too.
  h.conclave.workflows.registerDocument(
    [
      'name: momentum_trading',
      'tags: [trading]',
      'timeout_seconds: 3600',
      'steps:',
      '  - { id: waiting, kind: builtin, builtin: test.wait_until_cancelled, timeout_seconds: 3600 }',
    ].join('\n'),
  );
  h.conclave.workflows.register({
    name: 'nightly_research',
    tags: ['research'],
    timeoutMs: 3_600_000,
    steps: [step],
  });
}

describe('emergency_stop and resume_trading', () => {
  let h: CommandHarness;
  beforeEach(async () => {
    h = await makeCommandHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('halts orders, cancels trading runs only, audits and persists; resume lifts it', async () => {
    const { conclave } = h;
    registerLongRuns(h);
    h.behaviour['execute_order'] = (_req, signal) =>
      new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason as Error)),
      );
    const order = await conclave.dispatcher.submit({ pattern: 'execute_order', payload: { symbol: 'AMC' } });
    const trading = await conclave.workflows.start('momentum_trading', {});
    const research = await conclave.workflows.start('nightly_research', {});
    await h.settle();

    const stopId = await conclave.commands.emergencyStop('flash crash', 'risk_manager');
    const stop = await h.finish(stopId);
    expect(stop.status).toBe('completed');
    expect((await conclave.dispatcher.wait(order.id)).error?.code).toBe('CANCELLED');
    expect((await conclave.workflows.wait(trading)).status).toBe('cancelled');
    expect((await conclave.workflows.getWorkflowStatus(research)).status).toBe('running');

    const refused = await conclave.dispatcher
      .submit({ pattern: 'execute_order', payload: { symbol: 'GME' } })
      .catch((e: unknown) => e);
    expect(isConclaveError(refused, 'HALTED')).toBe(true);
    const halts = conclave.dispatcher.halts();
    expect(halts).toHaveLength(1);

    const setting = (await conclave.store.settings.get('trading.emergency_stop'))
      ?.value as EmergencyStopSetting;
    expect(setting).toMatchObject({
      active: true,
      reason: 'flash crash',
      haltId: halts[0]?.id,
      at: h.clock.now(),
    });
    const [entry] = await conclave.store.audit.list({ kind: 'emergency_stop' });
    expect(entry).toMatchObject({
      corrId: stopId,
      actor: 'risk_manager',
      data: {
        reason: 'flash crash',
        requester: 'risk_manager',
        halt_id: halts[0]?.id,
        cancelled_tasks: 1,
        cancelled_workflows: [trading],
      },
    });
    expect(h.stepOrder(stopId)).toEqual(['halting_trading']);

    const resumeId = await conclave.commands.resumeTrading('markets calm', 'risk_manager');
    expect((await h.finish(resumeId)).status).toBe('completed');
    expect(conclave.dispatcher.halts()).toEqual([]);
    h.behaviour['execute_order'] = () => ({ filled: true });
    const filled = await conclave.dispatcher.submit({ pattern: 'execute_order', payload: { symbol: 'GME' } });
    expect((await conclave.dispatcher.wait(filled.id)).result).toEqual({ filled: true });
    expect(
      ((await conclave.store.settings.get('trading.emergency_stop'))?.value as EmergencyStopSetting).active,
    ).toBe(false);
    const [resumed] = await conclave.store.audit.list({ kind: 'trading_resumed' });
    expect(resumed).toMatchObject({
      corrId: resumeId,
      data: { reason: 'markets calm', stop_reason: 'flash crash', lifted_halts: [halts[0]?.id] },
    });
    await conclave.workflows.cancel(research);
  });

  it('halts at once even when trading runs hold every workflow slot', async () => {
    const { conclave } = h;
    registerLongRuns(h);
    const runs: string[] = [];
    for (let i = 0; i < 5; i++) runs.push(await conclave.workflows.start('momentum_trading', {}));
    const research = await conclave.workflows.start('nightly_research', {});
    await h.settle();
    expect(conclave.workflows.stats()).toMatchObject({ active: 5, queued: 1 });

    const stopId = await conclave.commands.emergencyStop('margin call', 'risk_manager');
    // Before the stop's own run had a chance to execute a step.
    expect(conclave.dispatcher.halts()).toHaveLength(1);
    expect(
      ((await conclave.store.settings.get('trading.emergency_stop'))?.value as EmergencyStopSetting).active,
    ).toBe(true);
    for (const id of runs) expect((await conclave.workflows.wait(id)).status).toBe('cancelled');
    expect((await h.finish(stopId)).status).toBe('completed');
    expect((await conclave.workflows.getWorkflowStatus(research)).status).toBe('running');
    const [entry] = await conclave.store.audit.list({ kind: 'emergency_stop' });
    expect((entry?.data as { cancelled_workflows: string[] }).cancelled_workflows.sort()).toEqual(
      [...runs].sort(),
    );
    await conclave.workflows.cancel(research);
  });

  it('refuses to resume when no stop is in force', async () => {
    const rec = await h.finish(await h.conclave.commands.resumeTrading('just in case'));
    expect(rec.status).toBe('failed');
    expect(rec.error?.message).toBe('no emergency stop is in force');
    expect(await h.conclave.store.audit.list({ kind: 'trading_resumed' })).toEqual([]);
  });

  it('requires a reason', async () => {
    const err = await h.conclave.commands.emergencyStop('   ').catch((e: unknown) => e);
    expect(isConclaveError(err, 'VALIDATION_FAILED')).toBe(true);
    expect((err as Error).message).toBe(
      'parameters.reason: must be a non-empty text of at most 500 characters',
    );
  });
});

describe('emergency stop across a restart', () => {
  it('halts again on start while the stop is recorded as active', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'conclave-estop-')), 'c.db');
    const clock = new ManualClock(Date.UTC(2025, 8, 12, 12, 26));
    const first = await makeCommandHarness({ store: await openSqliteStore({ path }), clock });
    const stop = await first.finish(await first.conclave.commands.emergencyStop('exchange outage'));
    expect(stop.status).toBe('completed');
    const before = first.conclave.dispatcher.halts()[0]?.id;
    await first.close();

    const second = await makeCommandHarness({ store: await openSqliteStore({ path }), clock });
    try {
      const halts = second.conclave.dispatcher.halts();
      expect(halts).toHaveLength(1);
      expect(halts[0]?.id).not.toBe(before);
      const refused = await second.conclave.dispatcher
        .submit({ pattern: 'execute_order', payload: {} })
        .catch((e: unknown) => e);
      expect(isConclaveError(refused, 'HALTED')).toBe(true);
      const setting = (await second.conclave.store.settings.get('trading.emergency_stop'))
        ?.value as EmergencyStopSetting;
      expect(setting.haltIds).toEqual([halts[0]?.id]);
      // The new halt is the one resume lifts.
      expect((await second.finish(await second.conclave.commands.resumeTrading('restored'))).status).toBe(
        'completed',
      );
      expect(second.conclave.dispatcher.halts()).toEqual([]);
    } finally {
      await second.close();
    }
  });
});
