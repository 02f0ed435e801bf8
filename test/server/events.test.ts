import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Decision } from '../../src/coordination/index.ts';
import type { ProgressUpdate } from '../../src/workflow/index.ts';
import { API_KEYS_CONFIG, KEYS, bearer, getJson, makeTestServer, type TestServer } from './helpers.ts';

let t: TestServer | undefined;
const aborts: AbortController[] = [];
afterEach(async () => {
  for (const a of aborts.splice(0)) a.abort();
  await t?.close();
  t = undefined;
});

/** One parsed SSE frame: its event name and JSON data (comments arrive as `comment`). */
interface Frame {
  event: string;
  data: unknown;
  id?: string;
}

/** Opens GET /events over a real socket and parses frames as they arrive. */
async function openStream(query = '', headers: Record<string, string> = {}) {
  if (!t!.app.server.listening) await t!.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = t!.app.server.address() as AddressInfo;
  const abort = new AbortController();
  aborts.push(abort);
  const res = await fetch(`http://127.0.0.1:${port}/events${query}`, { signal: abort.signal, headers });
  const frames: Frame[] = [];
  const comments: string[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const frame: Partial<Frame> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('event: ')) frame.event = line.slice(7);
            else if (line.startsWith('data: ')) frame.data = JSON.parse(line.slice(6)) as unknown;
            else if (line.startsWith('id: ')) frame.id = line.slice(4);
          }
          if (frame.event !== undefined) frames.push(frame as Frame);
        }
      }
    } catch {
      // aborted by the test
    }
  })();
  return { res, frames, comments, abort };
}

function progress(workflowId: string): ProgressUpdate {
  return {
    progress_update: {
      workflow_id: workflowId,
      command_type: 'health_check',
      progress: 0.5,
      current_step: 'probe',
      status: 'running',
      timestamp: '2026-01-01T00:00:00.000Z',
      details: { steps_completed: [], steps_failed: [], error_messages: [] },
    },
  };
}

function decision(corrId: string): Decision {
  const at = '2026-01-01T00:00:00.000Z';
  return {
    corr_id: corrId,
    decision_id: `d_${corrId}`,
    action: 'trade',
    reason: 'test',
    confidence: 0.9,
    policy: 'weighted',
    partial: false,
    missing_agents: [],
    contributing_agents: ['momentum'],
    route: { rule: 'default', subject: 'execution.order' },
    orchestrated_at: at,
    timings: { first_signal_at: at, decided_at: at, latency_ms: 5 },
  };
}

function emitDecision(corrId: string): void {
  t!.conclave.coordinator.emit('decision', 'trade', 5, decision(corrId));
}

describe('GET /events', () => {
  it('streams progress, decisions and agent status changes as SSE', async () => {
    t = await makeTestServer();
    const { res, frames, comments } = await openStream();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await vi.waitFor(() => expect(comments).toContain('connected'));
    t.conclave.workflows.events.emit('progress', progress('wf_1'));
    emitDecision('c1');
    t.conclave.registry.disable('quant', 'maintenance');
    await vi.waitFor(() => expect(frames).toHaveLength(3));
    expect(frames.map((f) => f.event)).toEqual(['progress', 'decision', 'agent_status']);
    expect(frames.map((f) => f.id)).toEqual(['1', '2', '3']);
    expect(frames[0]!.data).toEqual(progress('wf_1'));
    expect(frames[1]!.data).toMatchObject({ corr_id: 'c1', action: 'trade' });
    expect(frames[2]!.data).toMatchObject({
      name: 'quant',
      from: 'running',
      to: 'disabled',
      reason: 'maintenance',
    });
  });

  it('filters by kind, workflow_id and corr_id', async () => {
    t = await makeTestServer();
    const byKind = await openStream('?kind=decision');
    const byWorkflow = await openStream('?workflow_id=wf_2');
    const byCorr = await openStream('?corr_id=c9&kind=decision,progress');
    await vi.waitFor(() => expect(byCorr.comments).toContain('connected'));
    t.conclave.workflows.events.emit('progress', progress('wf_1'));
    t.conclave.workflows.events.emit('progress', progress('wf_2'));
    emitDecision('c8');
    emitDecision('c9');
    t.conclave.registry.disable('quant', 'x');
    await vi.waitFor(() => expect(byKind.frames).toHaveLength(2));
    await vi.waitFor(() => expect(byWorkflow.frames).toHaveLength(1));
    await vi.waitFor(() => expect(byCorr.frames).toHaveLength(1));
    expect(byKind.frames.map((f) => (f.data as { corr_id: string }).corr_id)).toEqual(['c8', 'c9']);
    expect(byWorkflow.frames[0]!.data).toEqual(progress('wf_2'));
    expect(byCorr.frames[0]!.data).toMatchObject({ corr_id: 'c9' });
  });

  it('sends heartbeat comments', async () => {
    t = await makeTestServer({ app: { sseHeartbeatMs: 20 } });
    const { comments } = await openStream();
    await vi.waitFor(() =>
      expect(comments.filter((c) => c.startsWith('heartbeat')).length).toBeGreaterThan(1),
    );
  });

  it('releases its listeners when the client disconnects', async () => {
    t = await makeTestServer();
    const before = t.conclave.workflows.events.has('progress');
    const { comments, abort } = await openStream();
    await vi.waitFor(() => expect(comments).toContain('connected'));
    expect(t.conclave.workflows.events.has('progress')).toBe(true);
    abort.abort();
    await vi.waitFor(() => expect(t!.conclave.workflows.events.has('progress')).toBe(before));
  });

  it('needs a read key when keys are configured', async () => {
    t = await makeTestServer({ config: { server: { api_keys: API_KEYS_CONFIG } } });
    const denied = await openStream();
    expect(denied.res.status).toBe(401);
    const allowed = await openStream('', bearer(KEYS.read));
    expect(allowed.res.status).toBe(200);
  });

  it('refuses an unknown kind with 400', async () => {
    t = await makeTestServer();
    const res = await getJson(t.app, '/events?kind=decision,trades');
    expect(res.status).toBe(400);
    expect(res.body['detail']).toMatch(
      /^querystring\.kind\.1: .*must be a comma-separated list of progress, decision, agent_status/,
    );
  });
});
