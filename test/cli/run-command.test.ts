import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseParams } from '../../src/cli/run-command.ts';
import { cli, listeningServer, type ListeningServer } from './cli-harness.ts';

let server: ListeningServer;
beforeAll(async () => {
  server = await listeningServer();
});
afterAll(async () => server.close());

describe('conclave run', () => {
  it('follows a command to completion with plain progress lines and exits 0', async () => {
    const res = await cli('--url', server.url, 'run', 'health_check');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const lines = res.stdout.split('\n');
    expect(lines[0]).toMatch(/^health_check: workflow \S+ accepted$/);
    expect(res.stdout).toMatch(/100% completed/);
    expect(lines.at(-1)).toMatch(/^health_check: workflow \S+ completed$/);
  });

  it('prints one JSON object per update with --json', async () => {
    const res = await cli('--url', server.url, '--json', 'run', 'status_report');
    expect(res.code).toBe(0);
    const states = res.stdout.split('\n').map((l) => JSON.parse(l) as { status: string });
    expect(states.at(-1)?.status).toBe('completed');
  });

  it('exits 1 when the workflow fails, with the reason', async () => {
    // No agent serves candidate_discovery here, so the first step fails.
    const res = await cli('--url', server.url, 'run', 'restart_discovery_system', 'strategy=hybrid_v1');
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/failed/);
    expect(res.stderr).toMatch(
      /^conclave: restart_discovery_system: workflow \S+ ended failed: stopping_rq_workers: no agent serves 'candidate_discovery'/,
    );
  });

  it('exits 2 naming a parameter the command does not take', async () => {
    const res = await cli('--url', server.url, 'run', 'health_check', 'bogus=1');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('parameters.bogus: is not a parameter of health_check');
  });

  it('exits non-zero naming an unknown command', async () => {
    const res = await cli('--url', server.url, 'run', 'make_money');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("unknown command 'make_money'; known commands: restart_discovery_system");
  });

  it('exits 2 for a parameter that is not key=value', async () => {
    const res = await cli('--url', server.url, 'run', 'health_check', 'oops');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("parameter 'oops' must be written key=value");
  });

  it('exits 1 when --timeout passes first, saying where to follow the workflow', async () => {
    const res = await cli('--url', server.url, 'run', 'health_check', '--timeout', '0.001');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /workflow \S+ is still running after 0\.001 s; follow it at http:\/\/127\.0\.0\.1:\d+\/workflows\//,
    );
  });

  it('exits 3 when the server is down', async () => {
    const res = await cli('--url', 'http://127.0.0.1:1', 'run', 'health_check');
    expect(res.code).toBe(3);
    expect(res.stderr).toContain('cannot reach the Conclave server at http://127.0.0.1:1');
  });
});

describe('parseParams', () => {
  it('reads JSON values and keeps the rest as text', () => {
    expect(parseParams(['force_stop=true', 'n=3', 'name=alpha', 'list=[1,2]', 'eq=a=b'])).toEqual({
      force_stop: true,
      n: 3,
      name: 'alpha',
      list: [1, 2],
      eq: 'a=b',
    });
  });
});
