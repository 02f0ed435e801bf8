import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEYS_CONFIG, KEYS, postJson } from '../server/helpers.ts';
import { cli, listeningServer, type ListeningServer } from './cli-harness.ts';

let open: ListeningServer;
let secured: ListeningServer;

beforeAll(async () => {
  open = await listeningServer();
  secured = await listeningServer({ config: { server: { api_keys: API_KEYS_CONFIG } } });
});
afterAll(async () => {
  await open.close();
  await secured.close();
});

describe('conclave status', () => {
  it('prints the system status as a table', async () => {
    const res = await cli('--url', open.url, 'status');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^item\s+value\n/);
    expect(res.stdout).toContain(`server               ${open.url}`);
    const n = open.conclave.registry.snapshot().length;
    expect(n).toBeGreaterThanOrEqual(3);
    expect(res.stdout).toContain(`agents               ${n} total: ${n} running, 0 error`);
    expect(res.stdout).toContain('halts                none');
  });

  it('prints JSON with --json', async () => {
    const res = await cli('--url', open.url, '--json', 'status');
    expect(res.code).toBe(0);
    const body = JSON.parse(res.stdout) as { system_metrics: { total_agents: number } };
    expect(body.system_metrics.total_agents).toBe(open.conclave.registry.snapshot().length);
  });

  it('exits 3 naming the URL and how to start a server when nothing listens', async () => {
    const res = await cli('--url', 'http://127.0.0.1:1', 'status');
    expect(res.code).toBe(3);
    expect(res.stderr).toContain('cannot reach the Conclave server at http://127.0.0.1:1');
    expect(res.stderr).toContain('npm start');
  });

  it('exits 2 for a --url that is not an http URL', async () => {
    const res = await cli('--url', 'ftp://x', 'status');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("--url: must be an http(s) URL (got 'ftp://x')");
  });

  it('exits 4 saying a key is needed when the server asks for one', async () => {
    const res = await cli('--url', secured.url, 'status');
    expect(res.code).toBe(4);
    expect(res.stderr).toContain(
      'this server needs an API key: pass --api-key <key> or set CONCLAVE_API_KEY',
    );
  });

  it('exits 4 for a key the server does not know, and succeeds with a good one', async () => {
    const bad = await cli('--url', secured.url, '--api-key', 'not-a-real-key-000000', 'status');
    expect(bad.code).toBe(4);
    expect(bad.stderr).toContain('the API key was not accepted');
    const good = await cli('--url', secured.url, '--api-key', KEYS.read, 'status');
    expect(good.code).toBe(0);
  });
});

describe('conclave agents', () => {
  it('lists name, status, capabilities and breaker', async () => {
    const res = await cli('--url', open.url, 'agents');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^name\s+status\s+capabilities\s+breaker/);
    expect(res.stdout).toMatch(/quant\s+running\s+momentum\.analyze\s+closed/);
    expect(res.stdout).toMatch(/risk_agent\s+running\s+risk\.assess/);
  });

  it('shows an opened breaker after failures', async () => {
    // Once the breaker has opened, a POST is refused with 503 instead of accepted and dead-lettered.
    let accepted = 0;
    for (let i = 0; i < 6; i++) {
      const res = await postJson(open.app, '/orchestrate', { pattern: 'assess_risk', payload: { i } });
      if (res.status === 202) accepted++;
      else expect(res.body['code']).toBe('CIRCUIT_OPEN');
    }
    await waitFor(async () => (await open.conclave.deadLetters.list({ limit: 10 })).length >= accepted);
    const res = await cli('--url', open.url, '--json', 'agents');
    const body = JSON.parse(res.stdout) as {
      agents: { name: string; breaker: { consecutive_failures: number } }[];
    };
    const risk = body.agents.find((a) => a.name === 'risk_agent');
    expect(risk?.breaker.consecutive_failures).toBeGreaterThan(0);
  });
});

describe('conclave dlq', () => {
  it('lists, replays and purges dead letters', async () => {
    await postJson(open.app, '/orchestrate', { pattern: 'assess_risk', payload: { symbol: 'SPX' } });
    await waitFor(async () => (await open.conclave.deadLetters.list({ limit: 100 })).length > 0);
    const list = await cli('--url', open.url, 'dlq', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^id\s+pattern\s+agent\s+attempts\s+error/);
    expect(list.stdout).toContain('assess_risk');
    expect(list.stdout).toContain('risk model unavailable');

    const [first] = await open.conclave.deadLetters.list({ limit: 1 });
    const replay = await cli('--url', open.url, 'dlq', 'replay', first!.id);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(new RegExp(`^replayed dead letter ${first!.id} as task \\S+`));

    const again = await cli('--url', open.url, 'dlq', 'replay', 'no-such-letter');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('POST /dlq/no-such-letter/replay: 404');

    const purge = await cli('--url', open.url, '--json', 'dlq', 'purge');
    expect(purge.code).toBe(0);
    expect((JSON.parse(purge.stdout) as { purged: number }).purged).toBeGreaterThan(0);
    const empty = await cli('--url', open.url, 'dlq', 'list');
    expect(empty.stdout).toContain('(none)');
  });

  it('exits 4 when the key may not purge, naming the role problem', async () => {
    const res = await cli('--url', secured.url, '--api-key', KEYS.operate, 'dlq', 'purge');
    expect(res.code).toBe(4);
    expect(res.stderr).toContain("DELETE /dlq: the API key's role is not allowed to do this");
    const admin = await cli('--url', secured.url, '--api-key', KEYS.admin, 'dlq', 'purge');
    expect(admin.code).toBe(0);
    expect(admin.stdout).toBe('purged 0 dead letter(s)');
  });

  it('exits 2 for a bad --limit, naming the flag', async () => {
    const res = await cli('--url', open.url, 'dlq', 'list', '--limit', '0');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("option '--limit <n>' argument '0' is invalid");
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
