import { afterEach, describe, expect, it } from 'vitest';
import { captureLogs, getJson, makeTestServer, postJson, type TestServer } from './helpers.ts';

let t: TestServer;
afterEach(async () => {
  await t.close();
});

describe('commands and workflows over HTTP', () => {
  it('runs a command as a workflow, reports it, and lists it', async () => {
    t = await makeTestServer();
    const res = await postJson(t.app, '/commands/health_check', {});
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ command_type: 'health_check', status: 'accepted' });
    const id = res.body['workflow_id'] as string;
    await t.conclave.workflows.wait(id);
    const one = await getJson(t.app, `/workflows/${id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      workflow_id: id,
      name: 'health_check',
      status: 'completed',
      progress: 1,
    });
    const all = await getJson(t.app, '/workflows');
    expect(all.status).toBe(200);
    expect((all.body['workflows'] as { workflow_id: string }[]).map((w) => w.workflow_id)).toContain(id);
    expect(all.body['summary']).toMatchObject({ total: 1, success_rate: 1 });
  });

  it('counts and logs the run: workflow metrics on GET /metrics, its outcome in the log', async () => {
    const logs = captureLogs();
    t = await makeTestServer({ logger: logs.logger });
    const id = (await postJson(t.app, '/commands/health_check', {})).body['workflow_id'] as string;
    await t.conclave.workflows.wait(id);
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain(
      'conclave_workflow_runs_total{workflow="health_check",status="completed"} 1',
    );
    expect(metrics.body).toContain(
      'conclave_workflow_steps_total{workflow="health_check",status="completed"} 1',
    );
    expect(metrics.body).toContain('conclave_workflow_run_duration_seconds_count{workflow="health_check"} 1');
    expect(logs.lines.find((l) => l['event'] === 'workflow_completed')).toMatchObject({
      level: 'info',
      workflow_id: id,
      workflow: 'health_check',
    });
  });

  it('names a bad parameter and an unknown command', async () => {
    t = await makeTestServer();
    const bad = await postJson(t.app, '/commands/emergency_stop', { parameters: { reason: '' } });
    expect(bad.status).toBe(400);
    expect(bad.body['detail']).toContain('reason');
    const unknown = await postJson(t.app, '/commands/reboot_everything', {});
    expect(unknown.status).toBe(400);
    expect(unknown.body['detail']).toContain('restart_discovery_system');
    expect((await getJson(t.app, '/workflows/no-such-run')).status).toBe(404);
  });

  it('emergency stop halts orders at once and is in the audit trail of its run', async () => {
    t = await makeTestServer();
    const res = await postJson(t.app, '/commands/emergency_stop', {
      parameters: { reason: 'drawdown limit breached' },
      requester: 'risk_desk',
    });
    expect(res.status).toBe(202);
    const id = res.body['workflow_id'] as string;
    expect(t.conclave.dispatcher.halts()).toHaveLength(1);
    await t.conclave.workflows.wait(id);
    const audit = await getJson(t.app, `/audit/${id}`);
    expect(audit.status).toBe(200);
    const entries = audit.body['entries'] as { kind: string; actor: string | null }[];
    expect(entries.map((e) => e.kind)).toContain('emergency_stop');
  });

  it('cancels a queued or running workflow, and says when there is nothing to cancel', async () => {
    t = await makeTestServer();
    t.conclave.workflows.register({
      name: 'slow',
      steps: [{ id: 'hold', kind: 'task', pattern: 'hold' }],
    });
    const id = await t.conclave.workflows.start('slow', {});
    const res = await postJson(t.app, `/workflows/${id}/cancel`, { reason: 'operator' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ workflow_id: id, cancelled: true });
    expect((await t.conclave.workflows.wait(id)).status).toBe('cancelled');
    const again = await postJson(t.app, `/workflows/${id}/cancel`, {});
    expect(again.body).toEqual({ workflow_id: id, cancelled: false });
  });
});
