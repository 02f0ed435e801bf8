/** A nats-server of a test's own on a free port, for suites that must not share, or must restart, the machine's. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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

/** The installed nats-server, if any. */
export const NATS_BINARY = [
  '/usr/sbin/nats-server',
  '/usr/bin/nats-server',
  '/usr/local/bin/nats-server',
].find((p) => existsSync(p));

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

  /** Stops it: SIGTERM lets it shut down; SIGKILL is a crash (the outage tests use it). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.#proc;
    this.#proc = undefined;
    if (proc === undefined || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
