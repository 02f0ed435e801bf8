/** Fixtures for the distributed-shape integration tests: a private nats-server, configs, polling. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { loadConfig, type ConclaveConfig } from '../../src/core/config.ts';
import { createLogger, type Logger } from '../../src/telemetry/index.ts';

/** The Redis the suites use, overridable with CONCLAVE_TEST_REDIS_URL. */
export const REDIS_URL = process.env['CONCLAVE_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Resolves after `ms` real milliseconds. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` until it holds; fails after `timeoutMs` naming `what`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await pause(10);
  }
}

/** Answers once Redis does. */
export async function pingRedis(url: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } finally {
    client.disconnect();
  }
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const NATS_BINARY = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find(
  (p) => existsSync(p),
);

/**
 * A nats-server with JetStream of the suite's own, on a free port: the distributed shape uses fixed
 * subjects (`signals.enriched.>`, `agents.*`), so sharing the machine's server with other suites
 * would mix their messages, and the outage test must be able to stop it.
 */
export class PrivateNats {
  readonly port: number;
  readonly #dir = mkdtempSync(join(tmpdir(), 'conclave-nats-'));
  #proc: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
  }

  /** Starts one; rejects naming the binary when none is installed or it does not come up. */
  static async start(): Promise<PrivateNats> {
    if (NATS_BINARY === undefined) throw new Error('no nats-server binary (apt install nats-server)');
    const server = new PrivateNats(await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.#proc = spawn(
      NATS_BINARY as string,
      ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.#dir],
      {
        stdio: 'ignore',
      },
    );
    const deadline = Date.now() + 5_000;
    while (!(await accepts(this.port))) {
      if (Date.now() > deadline) throw new Error(`nats-server did not start on port ${this.port}`);
      await pause(25);
    }
  }

  async stop(): Promise<void> {
    const proc = this.#proc;
    this.#proc = undefined;
    if (proc === undefined || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** A logger whose lines are kept in `lines` (JSON text), for asserting on warnings. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('info', sink), lines };
}

/** A config from `raw` over the defaults (no file, no environment). */
export function configOf(raw: Record<string, unknown>): ConclaveConfig {
  return loadConfig({ path: '/dev/null', env: {}, overrides: raw });
}
