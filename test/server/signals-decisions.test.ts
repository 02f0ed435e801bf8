import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BusMessage } from '../../src/bus/index.ts';
import type { NormalizedSignal } from '../../src/coordination/schemas.ts';
import { BODY_LIMIT_BYTES } from '../../src/server/index.ts';
import { enriched, momentum, risk } from '../coordination/fixtures.ts';
import { getJson, makeTestServer, postJson, type TestServer } from './helpers.ts';

let t: TestServer;
beforeEach(async () => {
  t = await makeTestServer();
});
afterEach(async () => {
  await t.close();
});

/** Collects what is published on signals.normalized. */
function captureSignals(): BusMessage[] {
  const seen: BusMessage[] = [];
  t.conclave.bus.subscribe('signals.normalized', (msg) => {
    seen.push(msg);
  });
  return seen;
}

/** Waits until `check` passes (bus delivery is asynchronous). */
async function eventually(check: () => void): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      check();
      return;
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setImmediate(r));
    }
  }
}

describe('POST /signals', () => {
  it('normalizes a webhook event, assigns a corr_id and publishes it', async () => {
    const seen = captureSignals();
    const res = await postJson(t.app, '/signals', {
      instrument: ' aapl ',
      source: 'tradingview',
      signal_type: 'breakout',
      payload: { price: 189.5 },
    });
    expect(res.status).toBe(202);
    const corrId = res.body['corr_id'] as string;
    expect(corrId).toMatch(/^corr_/);
    expect(res.body).toMatchObject({ status: 'accepted', subject: 'signals.normalized' });
    await eventually(() => expect(seen).toHaveLength(1));
    expect(seen[0]!.data).toEqual({
      corr_id: corrId,
      instrument: 'AAPL',
      timestamp: new Date(t.clock.now()).toISOString(),
      source: 'tradingview',
      signal_type: 'breakout',
      payload: { price: 189.5 },
    });
    expect(seen[0]!.headers['conclave-corr-id']).toBe(corrId);
  });

  it('keeps a given corr_id and reads a timestamp without a zone as UTC', async () => {
    const seen = captureSignals();
    const res = await postJson(t.app, '/signals', {
      instrument: 'MSFT',
      source: 'desk',
      payload: {},
      corr_id: 'abc-123',
      timestamp: '2026-01-02T03:04:05',
    });
    expect(res.status).toBe(202);
    expect(res.body['corr_id']).toBe('abc-123');
    await eventually(() => expect(seen).toHaveLength(1));
    expect(seen[0]!.data).toMatchObject({ corr_id: 'abc-123', timestamp: '2026-01-02T03:04:05.000Z' });
  });

  it.each([
    [{ source: 'x', payload: {} }, /^instrument: is required/],
    [{ instrument: 'A', source: 'x', payload: [1] }, /^payload: must be a JSON object/],
    [
      { instrument: 'A', source: 'x', payload: {}, timestamp: 'yesterday' },
      /^timestamp: must be an ISO-8601/,
    ],
    [{ instrument: 'A', source: 'x', payload: {}, corr_id: 'has space' }, /^corr_id: must be a string/],
    [
      { instrument: 'A', source: 'x', payload: {}, extra: 1 },
      /^unknown field\(s\): extra; allowed: instrument/,
    ],
  ])('refuses %j with 400 naming the field', async (body, detail) => {
    const seen = captureSignals();
    const res = await postJson(t.app, '/signals', body);
    expect(res.status).toBe(400);
    expect(res.body['code']).toBe('VALIDATION_FAILED');
    expect(res.body['detail']).toMatch(detail);
    expect(seen).toHaveLength(0);
  });

  it('refuses a body over the size limit with 413', async () => {
    const res = await postJson(t.app, '/signals', {
      instrument: 'A',
      source: 'x',
      payload: { blob: 'x'.repeat(BODY_LIMIT_BYTES) },
    });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status_code: 413 });
  });
});

/** Audits a decision the way the coordinator does (kind `decision`, the entry's `decision`). */
async function auditDecision(corrId: string, action: string, at: number): Promise<void> {
  await t.conclave.store.audit.append({
    id: `audit_${corrId}_${at}`,
    at,
    kind: 'decision',
    corrId,
    actor: null,
    data: {
      corr_id: corrId,
      decision: { corr_id: corrId, decision_id: `d_${corrId}`, action, confidence: 0.8, reason: 'test' },
    },
  });
}

describe('GET /decisions', () => {
  const base = Date.UTC(2026, 0, 1);
  beforeEach(async () => {
    await auditDecision('c1', 'trade', base);
    await auditDecision('c2', 'no_trade', base + 1000);
    await auditDecision('c3', 'trade', base + 2000);
    await t.conclave.store.audit.append({
      id: 'other',
      at: base + 3000,
      kind: 'emergency_stop',
      corrId: null,
      actor: 'ops',
      data: {},
    });
  });

  it('lists decisions newest first, skipping other audit kinds', async () => {
    const res = await getJson(t.app, '/decisions');
    expect(res.status).toBe(200);
    const list = res.body['decisions'] as { corr_id: string; audited_at: string }[];
    expect(list.map((d) => d.corr_id)).toEqual(['c3', 'c2', 'c1']);
    expect(list[0]!.audited_at).toBe(new Date(base + 2000).toISOString());
    expect(res.body['count']).toBe(3);
  });

  it('filters by corr_id, action and since, and honours limit', async () => {
    const ids = async (q: string) =>
      ((await getJson(t.app, `/decisions?${q}`)).body['decisions'] as { corr_id: string }[]).map(
        (d) => d.corr_id,
      );
    expect(await ids('corr_id=c2')).toEqual(['c2']);
    expect(await ids('action=trade')).toEqual(['c3', 'c1']);
    expect(await ids(`since=${new Date(base + 1000).toISOString()}`)).toEqual(['c3', 'c2']);
    expect(await ids('limit=1')).toEqual(['c3']);
    expect(await ids('action=trade&since=2026-01-01T00:00:01Z')).toEqual(['c3']);
  });

  it.each([
    ['action=buy', /^querystring\.action: must be one of trade/],
    ['limit=0', /^querystring\.limit: must be an integer from 1 to 1000/],
    ['since=monday', /^querystring\.since: must be an ISO-8601 time/],
    ['kind=x', /unknown field\(s\) in querystring: kind/],
  ])('refuses %s with 400 naming the parameter', async (query, detail) => {
    const res = await getJson(t.app, `/decisions?${query}`);
    expect(res.status).toBe(400);
    expect(res.body['detail']).toMatch(detail);
  });
});

describe('GET /audit/{corr_id}', () => {
  it('returns the audit trail of a decision made from a signal posted to the API', async () => {
    // Stand-ins for the momentum and risk agents: each enriches every normalized signal.
    t.conclave.bus.subscribe('signals.normalized', async (msg) => {
      const source = msg.data as NormalizedSignal;
      const at = new Date(t.clock.now()).toISOString();
      for (const [agent, analysis] of [
        ['momentum', momentum(0.85)],
        ['risk', risk('low', 100)],
      ] as const) {
        await t.conclave.bus.publish(`signals.enriched.${agent}`, {
          ...enriched(agent, analysis, source.instrument),
          corr_id: source.corr_id,
          enriched_at: at,
          source_signal: source,
        });
      }
    });
    const posted = await postJson(t.app, '/signals', { instrument: 'AAPL', source: 'desk', payload: {} });
    expect(posted.status).toBe(202);
    const corrId = posted.body['corr_id'] as string;
    type Trail = { corr_id: string; entries: { kind: string; at: string; data: Record<string, unknown> }[] };
    let trail: Trail | undefined;
    await vi.waitFor(async () => {
      const res = await getJson(t.app, `/audit/${corrId}`);
      expect(res.status).toBe(200);
      trail = res.body as Trail;
      expect(trail.entries.map((e) => e.kind)).toContain('decision');
    });
    expect(trail?.corr_id).toBe(corrId);
    const entry = trail?.entries.find((e) => e.kind === 'decision');
    expect(entry?.at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(entry?.data['decision']).toMatchObject({ corr_id: corrId, action: 'trade', size: 100 });
    // Another corr_id's trail holds none of it.
    expect((await getJson(t.app, '/audit/corr_other')).body).toEqual({ corr_id: 'corr_other', entries: [] });
  });
});
