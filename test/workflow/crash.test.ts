import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/index.ts';

const RUNS = 50;
const STEPS = ['prep', 'fetch', 'score', 'combine', 'report'];
const EXPECTED = RUNS * STEPS.length;
const dir = mkdtempSync(join(tmpdir(), 'conclave-crash-'));
const db = join(dir, 'crash.db');
const log = join(dir, 'executions.log');
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function child(phase: 'start' | 'resume'): {
  proc: ChildProcess;
  output: Promise<{ code: number | null; stdout: string; stderr: string }>;
} {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/workflow/crash-child.ts', db, phase, log], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const output = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    proc.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { proc, output };
}

function logLines(): string[] {
  return existsSync(log)
    ? readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];
}

describe('crash and resume (SIGKILL mid-way, real child processes, SQLite file)', () => {
  it('finishes every run after a restart; steps journaled as completed never execute again', async () => {
    const first = child('start');
    const deadline = Date.now() + 10_000;
    while (logLines().length < EXPECTED * 0.4 && Date.now() < deadline && first.proc.exitCode === null)
      await delay(5);
    first.proc.kill('SIGKILL');
    const killed = await first.output;
    expect(killed.stderr).toBe('');
    const atKill = logLines();
    expect(atKill.length).toBeGreaterThan(0);
    expect(atKill.length).toBeLessThan(EXPECTED);

    // What the first process had journaled when it died.
    const store = await openSqliteStore({ path: db });
    const { rows } = await sql<{ run_id: string; step_id: string; type: string }>`
      select run_id, step_id, type from workflow_events where type in ('step_started', 'step_completed')`.execute(
      store.db,
    );
    const { rows: runs } = await sql<{ status: string }>`select status from workflow_runs`.execute(store.db);
    await store.close();
    expect(runs).toHaveLength(RUNS);
    expect(runs.filter((r) => r.status === 'completed').length).toBeLessThan(RUNS);
    const completed = new Set(
      rows.filter((r) => r.type === 'step_completed').map((r) => `${r.run_id}:${r.step_id}`),
    );
    const started = new Set(
      rows.filter((r) => r.type === 'step_started').map((r) => `${r.run_id}:${r.step_id}`),
    );
    const inFlight = [...started].filter((k) => !completed.has(k));
    expect(completed.size).toBeGreaterThan(0);

    const second = child('resume');
    const resumed = await second.output;
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const summary = JSON.parse(resumed.stdout.trim()) as Record<string, number>;
    expect(summary).toMatchObject({ completed: RUNS, failed: 0, running: 0, queued: 0 });
    expect(summary.recovered).toBeGreaterThan(0);

    const counts = new Map<string, number>();
    for (const key of logLines()) counts.set(key, (counts.get(key) ?? 0) + 1);
    // Every step of every run executed at least once…
    expect(counts.size).toBe(EXPECTED);
    // …every step journaled completed before the kill exactly once…
    for (const key of completed) expect(counts.get(key), key).toBe(1);
    // …and only steps in flight at the kill may have executed twice.
    const twice = [...counts].filter(([, n]) => n > 1).map(([k]) => k);
    for (const key of twice) expect(inFlight).toContain(key);
    expect(Math.max(0, ...counts.values())).toBeLessThanOrEqual(2);
  }, 20_000);
});
