import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConclaveError } from '../../src/core/errors.ts';
import { ConclaveMetrics, createLogger, logDispatch } from '../../src/telemetry/index.ts';
import { makeHarness } from '../dispatch/harness.ts';

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
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n').filter(Boolean))
          lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    const h = await makeHarness({ maxRetries: 1, breaker: { failureThreshold: 1, resetTimeoutMs: 60_000 } });
    try {
      h.agent('bad', ['bad'], () => {
        throw new ConclaveError('AGENT_ERROR', 'down');
      });
      logDispatch(createLogger('info', sink), h.dispatcher, h.registry);
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
