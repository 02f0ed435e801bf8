/**
 * The coordinator as createConclave wires it: the sequential pattern on the workflow engine, and
 * failed fan-out deliveries retried and dead-lettered through the dispatcher.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus } from '../../src/bus/bus.ts';
import { MemoryBus } from '../../src/bus/memory-bus.ts';
import { createConclave, type Conclave } from '../../src/conclave.ts';
import type { Decision } from '../../src/coordination/schemas.ts';
import { loadConfig } from '../../src/core/config.ts';
import { ConclaveError } from '../../src/core/errors.ts';
import { openSqliteStore } from '../../src/store/index.ts';
import { enriched, momentum, risk } from '../coordination/fixtures.ts';

let conclave: Conclave | undefined;
afterEach(async () => {
  await conclave?.close(0);
  conclave = undefined;
});

async function until(predicate: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A MemoryBus whose publishes to `subject` fail the first `failures` times (Infinity: always). */
function flakyBus(subject: string, failures: number): { bus: Bus; attempts: () => number } {
  const bus = new MemoryBus();
  let attempts = 0;
  const publish = bus.publish.bind(bus);
  bus.publish = (s, data, options) => {
    if (s === subject && attempts++ < failures) {
      return Promise.reject(new ConclaveError('BUS_ERROR', `publish to ${s} failed`));
    }
    return publish(s, data, options);
  };
  return { bus, attempts: () => attempts };
}

async function start(overrides: Record<string, unknown>, bus?: Bus): Promise<Conclave> {
  const config = loadConfig({
    path: '/dev/null',
    env: {},
    overrides: {
      log: { level: 'silent' },
      dispatcher: { error_recovery: { max_retries: 2, retry_delay_seconds: 0.01, jitter: 0 } },
      ...overrides,
    },
  });
  conclave = await createConclave(config, {
    store: await openSqliteStore({ path: ':memory:' }),
    ...(bus === undefined ? {} : { bus }),
  });
  await conclave.start();
  return conclave;
}

function collect(c: Conclave, subject: string): Decision[] {
  const out: Decision[] = [];
  c.bus.subscribe(subject, (m) => void out.push(m.data as Decision));
  return out;
}

describe('the sequential pattern on the workflow engine', () => {
  it('decides through a journaled decision_stages run and records each stage in the decision', async () => {
    const c = await start({ coordination: { pattern: 'sequential' } });
    const decisions = collect(c, 'orchestrated.decision');
    await c.bus.publish('signals.enriched.momentum', enriched('momentum', momentum(0.9)));
    await c.bus.publish('signals.enriched.risk', enriched('risk', risk('low', 100)));
    await until(() => decisions.length === 1, 'the decision');
    const [decision] = decisions;
    expect(decision).toMatchObject({ action: 'trade', direction: 'up', size: 100 });
    expect(decision?.stages?.map((s) => s.stage)).toEqual([
      'validation',
      'risk_check',
      'position_sizing',
      'execution_timing',
    ]);
    const status = await c.workflows.getWorkflowStatus(decision!.workflow_id!);
    expect(status).toMatchObject({ status: 'completed', name: 'decision_stages', requester: 'coordinator' });
    expect(Object.values(status.steps).map((s) => s.status)).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
    ]);
    await until(
      async () => (await c.store.audit.list({ corrId: 'req_abc123' })).some((a) => a.kind === 'decision'),
      'the audit entry',
    );
    const [entry] = await c.store.audit.list({ corrId: 'req_abc123', kind: 'decision' });
    expect(entry?.data).toMatchObject({ metadata: { orchestration_pattern: 'sequential' } });
  });

  it('ends the run as stopped, and the decision carries the stop reason', async () => {
    const c = await start({ coordination: { pattern: 'sequential' } });
    const decisions = collect(c, 'orchestrated.decision');
    await c.bus.publish('signals.enriched.momentum', enriched('momentum', momentum(0.9)));
    await c.bus.publish('signals.enriched.risk', enriched('risk', risk('high', 100, 0.92)));
    await until(() => decisions.length === 1, 'the decision');
    const [decision] = decisions;
    expect(decision).toMatchObject({ action: 'no_trade', reason: 'excessive_risk' });
    expect(decision?.stages?.at(-1)).toEqual({
      stage: 'risk_check',
      status: 'stopped',
      reason: 'excessive_risk',
    });
    const run = await c.workflows.wait(decision!.workflow_id!);
    expect(run.status).toBe('stopped');
    expect(run.output).toMatchObject({ stopped_at: 'risk_check', reason: 'excessive_risk' });
  });
});

describe('failed fan-out deliveries go through the dispatcher', () => {
  it('retries a delivery that failed once; the other sinks are not held up', async () => {
    const flaky = flakyBus('risk.monitor.decision', 2);
    const c = await start({}, flaky.bus);
    const monitored = collect(c, 'risk.monitor.decision');
    const executed = collect(c, 'execution.order');
    await c.bus.publish('signals.enriched.momentum', enriched('momentum', momentum(0.9)));
    await c.bus.publish('signals.enriched.risk', enriched('risk', risk('low', 100)));
    await until(() => executed.length === 1, 'the execution order');
    await until(() => monitored.length === 1, 'the redelivered risk-monitor message');
    expect(flaky.attempts()).toBe(3); // the coordinator's publish, then two task attempts
    expect(monitored[0]).toMatchObject({ corr_id: 'req_abc123', action: 'trade' });
    expect(c.coordinator.stats()).toMatchObject({ deliveriesRequeued: 1, deliveryFailures: 0 });
    expect(await c.deadLetters.list()).toEqual([]);
  });

  it('dead-letters a delivery that keeps failing, and a replay delivers it', async () => {
    const flaky = flakyBus('risk.monitor.decision', 4); // the publish and three task attempts
    const c = await start({}, flaky.bus);
    const monitored = collect(c, 'risk.monitor.decision');
    await c.bus.publish('signals.enriched.momentum', enriched('momentum', momentum(0.9)));
    await c.bus.publish('signals.enriched.risk', enriched('risk', risk('low', 100)));
    await until(async () => (await c.deadLetters.list()).length === 1, 'the dead letter');
    const [letter] = await c.deadLetters.list();
    expect(letter).toMatchObject({
      pattern: 'coordination.deliver',
      corrId: 'req_abc123',
      attempts: 3,
      payload: { subject: 'risk.monitor.decision' },
      error: { code: 'BUS_ERROR' },
    });
    expect(monitored).toEqual([]);
    await c.deadLetters.replay(letter!.id);
    await until(() => monitored.length === 1, 'the replayed delivery');
    expect(monitored[0]).toMatchObject({ corr_id: 'req_abc123' });
  });
});
