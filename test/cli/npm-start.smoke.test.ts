import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSse } from '../../src/cli/sse.ts';
import { cleanEnv, collect, REPO_ROOT } from './spawn-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'conclave-npm-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Every process below `pid` (Linux /proc), parents before children. */
function descendants(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    // Gone already.
  }
  return children.flatMap((c) => [c, ...descendants(c)]);
}

/**
 * The process running the server: the deepest one below npm whose command line runs the CLI.
 * @remarks npm runs the script (the compiled CLI, which `prestart` builds) through `sh`, and npm
 * itself dies of a SIGTERM rather than waiting for its script; signalling the server, as a process
 * manager does, lets each parent exit with the server's own status.
 */
function serverPid(npmPid: number): number | undefined {
  return descendants(npmPid)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('dist/cli/main.js');
      } catch {
        return false;
      }
    })
    .at(-1);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('npm start (smoke)', () => {
  it(
    'serves health, runs a task, streams decisions, and exits 0 on SIGTERM',
    // Generous: `prestart` compiles first (incremental, but the suite loads both cores meanwhile).
    { timeout: 120_000 },
    async () => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const child = spawn('npm', ['start', '--silent'], {
        cwd: REPO_ROOT,
        // Its own process group, so a failed run can be cleaned up whole.
        detached: true,
        env: cleanEnv({
          CONCLAVE_PORT: String(port),
          CONCLAVE_SQLITE_PATH: join(dir, 'conclave.db'),
          CONCLAVE_DATA_DIR: dir,
          CONCLAVE_LOG_LEVEL: 'warn',
        }),
      });
      const done = collect(child);
      let stopped = false;
      try {
        const health = await until(
          '/health',
          async () => {
            const res = await fetch(`${base}/health`);
            return res.ok ? ((await res.json()) as { status: string; agents_total: number }) : undefined;
          },
          90_000,
        );
        expect(health.status).toBe('healthy');
        expect(health.agents_total).toBeGreaterThan(0);

        // Open the event stream first, so the next decisions are seen on it.
        const controller = new AbortController();
        // Bounded, so a silent stream fails the test (and the cleanup below runs) instead of hanging.
        const streamTimer = setTimeout(() => controller.abort(), 15_000);
        const stream = await fetch(`${base}/events?kind=decision`, { signal: controller.signal });
        expect(stream.headers.get('content-type')).toContain('text/event-stream');

        const submitted = await fetch(`${base}/orchestrate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ pattern: 'fetch_market_data', payload: { symbol: 'SPX', limit: 30 } }),
        });
        expect(submitted.status).toBe(202);
        const { task_id: taskId } = (await submitted.json()) as { task_id: string };
        const finished = await until(
          'the task to complete',
          async () => {
            const body = (await (await fetch(`${base}/status/${taskId}`)).json()) as { status: string };
            return body.status === 'completed' || body.status === 'failed' || body.status === 'dead_lettered'
              ? body
              : undefined;
          },
          10_000,
        );
        expect(finished.status).toBe('completed');

        let streamed: { corr_id?: string } | undefined;
        for await (const event of readSse(stream.body!)) {
          if (event.event !== 'decision') continue;
          streamed = JSON.parse(event.data) as { corr_id?: string };
          break;
        }
        clearTimeout(streamTimer);
        controller.abort();
        expect(streamed?.corr_id).toEqual(expect.any(String));

        const decisions = await until(
          'GET /decisions',
          async () => {
            const body = (await (await fetch(`${base}/decisions`)).json()) as {
              count: number;
              decisions: { corr_id: string }[];
            };
            return body.count > 0 ? body : undefined;
          },
          10_000,
        );
        expect(decisions.decisions[0]?.corr_id).toEqual(expect.any(String));

        const pid = serverPid(child.pid!);
        expect(pid).toEqual(expect.any(Number));
        process.kill(pid!, 'SIGTERM');
        stopped = true;
      } finally {
        if (!stopped) process.kill(-child.pid!, 'SIGKILL');
      }
      const result = await done;
      expect(result.stdout).toContain('conclave: stopped');
      expect(result.code).toBe(0);
    },
  );
});
