import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collect, runCliProcess, spawnCli } from './spawn-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'conclave-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const emptyConfig = join(dir, 'conclave.yaml');
writeFileSync(emptyConfig, '# defaults\n');

/** A port that was free a moment ago: bind to 0, read the number, release it. */
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

describe('conclave start', () => {
  it('serves /health, then exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const dbPath = join(dir, 'smoke', 'conclave.db');
    const child = spawnCli(['start', '--config', emptyConfig], {
      env: { CONCLAVE_PORT: String(port), CONCLAVE_SQLITE_PATH: dbPath, CONCLAVE_LOG_LEVEL: 'warn' },
    });
    const done = collect(child);
    // Wait for the banner instead of polling: it is printed once the server listens.
    const banner = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('Press Ctrl+C to stop.')) resolve(out);
      });
      child.once('exit', (code) => reject(new Error(`start exited early with ${code}`)));
    });
    expect(banner).toContain(`API        http://127.0.0.1:${port}`);
    expect(banner).toContain(`health     http://127.0.0.1:${port}/health`);
    expect(banner).toContain(`OpenAPI    http://127.0.0.1:${port}/docs/json`);
    expect(banner).toContain(`data       sqlite at ${dbPath}`);
    expect(banner).toContain('recovered  0 unfinished task(s)');

    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'healthy', version: '0.1.0' });
    expect(existsSync(dbPath)).toBe(true);

    child.kill('SIGTERM');
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('conclave: stopped');
    expect(result.stderr).toBe('');
  });

  it.each([
    [['--port', 'abc'], "option '-p, --port <n>' argument 'abc' is invalid"],
    [['--port', '70000'], "option '-p, --port <n>' argument '70000' is invalid"],
    [['--host', 'http://x'], "option '--host <h>' argument 'http://x' is invalid"],
  ])('exits 2 for bad flags %j, naming the flag', async (flags, message) => {
    const res = await runCliProcess(['start', '--config', emptyConfig, ...flags]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(message);
  });

  it('exits 2 with the message (no stack) for an invalid configuration', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'store:\n  driver: mongodb\n');
    const res = await runCliProcess(['start', '--config', bad]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('store.driver: must be one of "sqlite", "postgres" (got "mongodb")');
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 1 with a clear message when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const res = await runCliProcess(['start', '--config', emptyConfig, '--port', String(port)], {
        env: { CONCLAVE_SQLITE_PATH: join(dir, 'taken', 'c.db'), CONCLAVE_LOG_LEVEL: 'warn' },
      });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('conclave: start failed: listen EADDRINUSE');
      expect(res.stderr).toContain('choose another port with --port');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('bin/conclave.mjs', () => {
  it('runs the CLI from any working directory', async () => {
    const res = await runCliProcess(['--version'], { cwd: tmpdir(), bin: true });
    expect(res.code).toBe(0);
    expect(res.stdout.trim()).toBe('0.1.0');
  });
});
