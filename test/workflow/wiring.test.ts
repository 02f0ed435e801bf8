import { describe, expect, it } from 'vitest';
import type { BusMessage } from '../../src/bus/bus.ts';
import { createConclave } from '../../src/conclave.ts';
import { loadConfig } from '../../src/core/config.ts';
import { openSqliteStore } from '../../src/store/index.ts';
import type { ProgressUpdate } from '../../src/workflow/index.ts';

describe('workflow engine wired into createConclave', () => {
  it('takes the workflows config section, knows routing patterns, and sends progress on the bus', async () => {
    const config = loadConfig({
      path: '/dev/null',
      env: {},
      overrides: {
        log: { level: 'silent' },
        workflows: { max_concurrent_workflows: 2, max_queued_workflows: 0 },
        routing_rules: [{ pattern: 'assess_risk', capability: 'risk.assess' }],
      },
    });
    expect(config.workflows).toMatchObject({
      workflow_timeout_seconds: 900,
      progress_update_interval_seconds: 5,
    });
    const conclave = await createConclave(config, { store: await openSqliteStore({ path: ':memory:' }) });
    try {
      conclave.registerInprocAgent({
        name: 'risk',
        capabilities: ['risk.assess'],
        handler: () => ({ level: 'low' }),
      });
      const updates: ProgressUpdate[] = [];
      const sub = conclave.bus.subscribe('workflow.progress.management_agent', (m: BusMessage) => {
        updates.push(m.data as ProgressUpdate);
      });
      conclave.workflows.register({
        name: 'health_check',
        steps: [{ id: 'risk', kind: 'task', pattern: 'assess_risk', payload: {} }],
      });
      expect(() =>
        conclave.workflows.register({
          name: 'bad',
          steps: [{ id: 'x', kind: 'task', pattern: 'nobody.serves' }],
        }),
      ).toThrow("steps.x.pattern: unknown pattern 'nobody.serves'");
      expect(await conclave.start()).toMatchObject({ recoveredWorkflows: 0 });
      const id = await conclave.workflows.start('health_check', {}, { requester: 'management_agent' });
      const run = await conclave.workflows.wait(id);
      expect(run.status).toBe('completed');
      expect(run.output).toStrictEqual({ risk: { level: 'low' } });
      await new Promise((r) => setImmediate(r));
      expect(updates.at(-1)?.progress_update).toMatchObject({
        workflow_id: id,
        status: 'completed',
        progress: 1,
      });
      expect(conclave.workflows.stats()).toStrictEqual({ active: 0, queued: 0, registered: 1 });
      await sub.unsubscribe();
    } finally {
      await conclave.close();
    }
  });
});
