import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsBus } from '../../src/bus/index.ts';
import type { NatsBusStatus } from '../../src/bus/index.ts';
import { pause, waitFor } from './nats-support.ts';

/**
 * Restarts a nats-server of its own (never the shared one) to show what a publish does while the
 * connection is down. Optional: skipped when no nats-server binary is installed.
 */
const BINARY = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) =>
  existsSync(p),
);

function freePort(): Promise<number> {
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

describe.skipIf(BINARY === undefined)(
  BINARY === undefined ? 'NatsBus reconnect (skipped: no nats-server binary)' : 'NatsBus reconnect',
  () => {
    let port = 0;
    let storeDir = '';
    let server: ChildProcess | undefined;

    async function start(): Promise<void> {
      server = spawn(BINARY as string, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {
        stdio: 'ignore',
      });
      const deadline = Date.now() + 5_000;
      while (!(await accepts(port))) {
        if (Date.now() > deadline) throw new Error(`nats-server did not start on port ${port}`);
        await pause(25);
      }
    }

    async function stop(): Promise<void> {
      const child = server;
      server = undefined;
      if (child === undefined || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }

    beforeAll(async () => {
      port = await freePort();
      storeDir = mkdtempSync(join(tmpdir(), 'conclave-nats-'));
      await start();
    });

    afterAll(async () => {
      await stop();
      rmSync(storeDir, { recursive: true, force: true });
    });

    it('fails a publish made during an outage with BUS_ERROR after publishTimeoutMs, then lands one after reconnect', async () => {
      const states: NatsBusStatus['state'][] = [];
      const bus = await NatsBus.connect({
        servers: `nats://127.0.0.1:${port}`,
        publishTimeoutMs: 600,
        reconnectTimeWaitMs: 100,
        onStatusChange: (s) => states.push(s.state),
      });
      try {
        await bus.ensureStream({ name: 'OUTAGE', subjects: ['outage.>'] });
        await bus.publish('outage.before', 0);
        await stop();
        await waitFor(() => bus.status().state === 'reconnecting', 3_000, 'disconnect noticed');

        const started = Date.now();
        await expect(bus.publish('outage.lost', 1)).rejects.toMatchObject({
          code: 'BUS_ERROR',
          message: expect.stringContaining('outage.lost') as string,
        });
        const waited = Date.now() - started;
        expect(waited).toBeGreaterThanOrEqual(550);
        expect(waited).toBeLessThan(2_000);

        const during = bus.publish('outage.during', 2);
        await pause(100);
        await start();
        await expect(during).resolves.toBeUndefined();
        expect(bus.status()).toMatchObject({ state: 'connected', reconnects: 1 });
        expect(states).toEqual(['reconnecting', 'connected']);

        const got: unknown[] = [];
        const sub = await bus.consume(
          { stream: 'OUTAGE', durable: 'check', ackWaitMs: 5_000, maxDeliver: 1 },
          (m) => {
            got.push(m.subject);
            m.ack();
          },
        );
        await waitFor(() => got.length === 2, 3_000, 'stored messages');
        expect(got).toEqual(['outage.before', 'outage.during']);
        await sub.unsubscribe();
      } finally {
        await bus.close();
      }
    });
  },
);
