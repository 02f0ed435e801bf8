import { describe, expect, it } from 'vitest';
import { ConclaveError } from '../../src/core/errors.ts';
import { ConclaveMetrics, logDispatch, logWorkflows } from '../../src/telemetry/index.ts';
import { makeHarness } from '../dispatch/harness.ts';
import { captureLogs } from '../support/logs.ts';
import { makeEngine, type EngineHarness } from '../workflow/harness.ts';

describe('telemetry', () => {
  it('exposes the documents’ orchestrator_* metrics and task counters in valid exposition format', async () => {
    const h = await makeHarness({ maxRetries: 0, breaker: { failureThreshold: 1, resetTimeoutMs: 60_000 } });
    try {
      h.agent('good', ['good'], () => 'ok');
      h.agent('bad', ['bad'], () => {
        throw new ConclaveError('AGENT_ERROR', 'down');
      });
      const metrics = new ConclaveMetrics({ defaultMetrics: false });
      metrics.observe(h.dispatcher, h.registry);
      await h.dispatcher.run({ pattern: 'good', payload: {} });
      await h.dispatcher.run({ pattern: 'good', payload: {} });
      await h.dispatcher.run({ pattern: 'bad', payload: {} });
      const text = await metrics.text();
      expect(text).toContain('conclave_tasks_finished_total{pattern="good",status="completed"} 2');
      expect(text).toContain('conclave_tasks_finished_total{pattern="bad",status="dead_lettered"} 1');
      expect(text).toContain('# TYPE conclave_task_execution_seconds histogram');
      expect(text).toContain('conclave_task_execution_seconds_bucket{pattern="good",le="+Inf"} 2');
      expect(text).toContain('conclave_task_execution_seconds_count{pattern="good"} 2');
      expect(text).toMatch(/^conclave_task_execution_seconds_sum\{pattern="good"\} [0-9.e-]+$/m);
      expect(text).toContain('orchestrator_circuit_breaker_state{agent="bad"} 2');
      expect(text).toContain('orchestrator_circuit_breaker_state{agent="good"} 0');
      expect(text).toContain('orchestrator_agent_health{agent="good"} 1');
      expect(text).toContain('orchestrator_queue_size{priority="5"} 0');
      expect(text).toContain('orchestrator_active_tasks 0');
      // Every sample line: name{labels} value
      for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) {
        expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[0-9.e+-]+|NaN|[+-]Inf$/);
      }
    } finally {
      await h.close();
    }
  });

  it('logs failures, retries and breaker changes as JSON with the task and correlation ids', async () => {
    const { logger, lines } = captureLogs('info');
    const h = await makeHarness({ maxRetries: 1, breaker: { failureThreshold: 1, resetTimeoutMs: 60_000 } });
    try {
      h.agent('bad', ['bad'], () => {
        throw new ConclaveError('AGENT_ERROR', 'down');
      });
      logDispatch(logger, h.dispatcher, h.registry);
      const t = await h.dispatcher.submit({ pattern: 'bad', payload: {}, corrId: 'corr-42' });
      await h.settle();
      await h.clock.advance(1000);
      await h.dispatcher.wait(t.id);
      const events = lines.map((l) => l['event']);
      expect(events).toContain('task_retry_scheduled');
      expect(events).toContain('circuit_breaker');
      const final = lines.find((l) => l['event'] === 'task_dead_lettered');
      expect(final).toMatchObject({
        level: 'warn',
        task_id: t.id,
        corr_id: 'corr-42',
        pattern: 'bad',
        error_code: 'CIRCUIT_OPEN',
      });
      expect(String(final?.['timestamp'])).toMatch(/^\d{4}-\d\d-\d\dT/);
    } finally {
      await h.close();
    }
  });
});

/**
 * An engine (steps retried once after 1 s) with three workflows: `rebalance` (a builtin that fails
 * once, a task step, a skipped step), `doomed` (a step that fails for good) and `idle` (a step that
 * waits until cancelled).
 */
async function workflowEngine(): Promise<EngineHarness> {
  const h = await makeEngine({ defaultRetry: { maxRetries: 1, delayMs: 1000, backoffMultiplier: 2 } });
  h.agent('momentum', ['momentum.analyze'], () => ({ score: 1 }));
  let fetches = 0;
  h.engine.registerBuiltin('fetch', () =>
    ++fetches === 1
      ? Promise.reject(new ConclaveError('AGENT_ERROR', 'feed blip'))
      : Promise.resolve({ symbols: ['AAPL'] }),
  );
  h.engine.registerBuiltin('broken', () =>
    Promise.reject(new ConclaveError('AGENT_ERROR', 'risk model down', { retryable: false })),
  );
  h.engine.registerBuiltin(
    'wait',
    (_params, ctx) =>
      new Promise((_resolve, reject) =>
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
      ),
  );
  h.engine.register({
    name: 'rebalance',
    steps: [
      { id: 'fetch', kind: 'builtin', builtin: 'fetch' },
      { id: 'score', kind: 'task', pattern: 'momentum.analyze', dependsOn: ['fetch'], payload: {} },
      { id: 'hedge', kind: 'builtin', builtin: 'fetch', dependsOn: ['score'], when: () => false },
    ],
  });
  h.engine.register({ name: 'doomed', steps: [{ id: 'assess', kind: 'builtin', builtin: 'broken' }] });
  h.engine.register({ name: 'idle', steps: [{ id: 'wait', kind: 'builtin', builtin: 'wait' }] });
  return h;
}

describe('workflow telemetry', () => {
  it('counts runs by final status, their duration, active runs, steps and retries, by workflow name', async () => {
    const h = await workflowEngine();
    try {
      const metrics = new ConclaveMetrics({ defaultMetrics: false });
      metrics.observeWorkflows(h.engine);
      await h.finish(await h.engine.start('rebalance'));
      await h.finish(await h.engine.start('doomed'));
      const idle = await h.engine.start('idle');
      await h.settle();
      const during = await metrics.text();
      expect(during).toContain('conclave_workflow_runs_active{workflow="idle",status="running"} 1');
      expect(during).not.toContain('conclave_workflow_runs_active{workflow="rebalance"');
      await h.engine.cancel(idle, 'desk closed');
      await h.settle();
      const text = await metrics.text();
      expect(text).toContain('conclave_workflow_runs_total{workflow="rebalance",status="completed"} 1');
      expect(text).toContain('conclave_workflow_runs_total{workflow="doomed",status="failed"} 1');
      expect(text).toContain('conclave_workflow_runs_total{workflow="idle",status="cancelled"} 1');
      expect(text).toContain('conclave_workflow_steps_total{workflow="rebalance",status="completed"} 2');
      expect(text).toContain('conclave_workflow_steps_total{workflow="rebalance",status="skipped"} 1');
      expect(text).toContain('conclave_workflow_steps_total{workflow="doomed",status="failed"} 1');
      expect(text).toContain('conclave_workflow_step_retries_total{workflow="rebalance"} 1');
      expect(text).not.toContain('conclave_workflow_step_retries_total{workflow="doomed"}');
      // rebalance waited out its 1 s retry delay on the manual clock; doomed failed at once.
      expect(text).toContain('conclave_workflow_run_duration_seconds_count{workflow="rebalance"} 1');
      expect(text).toContain('conclave_workflow_run_duration_seconds_sum{workflow="rebalance"} 1');
      expect(text).toContain('conclave_workflow_run_duration_seconds_sum{workflow="doomed"} 0');
      expect(text).toContain('conclave_workflow_run_duration_seconds_bucket{le="1",workflow="rebalance"} 1');
      expect(text).toContain(
        'conclave_workflow_run_duration_seconds_bucket{le="0.5",workflow="rebalance"} 0',
      );
      expect(text).not.toContain('conclave_workflow_runs_active{');
      // Labels are workflow names, never run ids.
      expect(text).not.toMatch(/workflow="wf_/);
    } finally {
      await h.close();
    }
  });

  it('logs engine errors at most once per interval, saying how many it held back', async () => {
    const { logger, lines } = captureLogs('info');
    const h = await workflowEngine();
    try {
      logWorkflows(logger, h.engine, { errorLogIntervalMs: 200 });
      const down = new ConclaveError('BUS_ERROR', 'bus down');
      for (let i = 0; i < 50; i++) h.engine.events.emit('error', down);
      await new Promise((r) => setTimeout(r, 250));
      h.engine.events.emit('error', down);
      await new Promise((r) => setImmediate(r));
      const errors = lines.filter((l) => l['event'] === 'workflow_engine_error');
      expect(errors.map((l) => l['suppressed'])).toEqual([0, 49]);
      expect(errors[0]).toMatchObject({ level: 'error', err: { message: 'bus down' } });
    } finally {
      await h.close();
    }
  });

  it('logs run outcomes, failed steps and retries as JSON with the workflow id, name and corr_id', async () => {
    const { logger, lines } = captureLogs('debug');
    const h = await workflowEngine();
    try {
      logWorkflows(logger, h.engine);
      const ok = await h.engine.start('rebalance');
      await h.finish(ok);
      const bad = await h.engine.start('doomed', { corr_id: 'corr-7' });
      await h.finish(bad);
      const idle = await h.engine.start('idle');
      await h.settle();
      await h.engine.cancel(idle, 'desk closed');
      await h.settle();
      const of = (event: string) => lines.filter((l) => l['event'] === event);
      expect(of('workflow_started').map((l) => [l['workflow_id'], l['level']])).toEqual([
        [ok, 'debug'],
        [bad, 'debug'],
        [idle, 'debug'],
      ]);
      expect(of('workflow_step_retry_scheduled')).toEqual([
        expect.objectContaining({
          level: 'warn',
          workflow_id: ok,
          workflow: 'rebalance',
          step_id: 'fetch',
          attempt: 1,
          delay_ms: 1000,
          error_code: 'AGENT_ERROR',
          error: 'feed blip',
        }),
      ]);
      expect(of('workflow_step_skipped')).toEqual([
        expect.objectContaining({ level: 'debug', workflow_id: ok, step_id: 'hedge' }),
      ]);
      expect(of('workflow_completed')).toEqual([
        expect.objectContaining({ level: 'info', workflow_id: ok, workflow: 'rebalance', duration_ms: 1000 }),
      ]);
      expect(of('workflow_step_failed')).toEqual([
        expect.objectContaining({
          level: 'warn',
          workflow_id: bad,
          workflow: 'doomed',
          step_id: 'assess',
          attempt: 1,
          error_code: 'AGENT_ERROR',
        }),
      ]);
      expect(of('workflow_failed')).toEqual([
        expect.objectContaining({
          level: 'error',
          workflow_id: bad,
          workflow: 'doomed',
          corr_id: 'corr-7',
          error_code: 'AGENT_ERROR',
          error: 'risk model down',
        }),
      ]);
      const cancelled = of('workflow_cancelled');
      expect(cancelled).toEqual([
        expect.objectContaining({
          level: 'warn',
          workflow_id: idle,
          workflow: 'idle',
          error_code: 'CANCELLED',
        }),
      ]);
      expect(String(cancelled[0]?.['error'])).toContain('desk closed');
      expect(lines.every((l) => typeof l['event'] === 'string' && typeof l['timestamp'] === 'string')).toBe(
        true,
      );
    } finally {
      await h.close();
    }
  });
});
