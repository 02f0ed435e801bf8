import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsBus } from '../../src/bus/index.ts';
import type { NatsBusStatus } from '../../src/bus/index.ts';
import { NATS_BINARY, PrivateNats } from '../support/nats-server.ts';
import { pause, waitFor } from './nats-support.ts';

/**
 * Restarts a nats-server of its own (never the shared one) to show what a publish does while the
 * connection is down. Optional: skipped when no nats-server binary is installed.
 */
describe.skipIf(NATS_BINARY === undefined)(
  NATS_BINARY === undefined ? 'NatsBus reconnect (skipped: no nats-server binary)' : 'NatsBus reconnect',
  () => {
    let nats: PrivateNats;

    beforeAll(async () => {
      nats = await PrivateNats.start();
    });

    afterAll(async () => {
      await nats.dispose();
    });

    it('fails a publish made during an outage with BUS_ERROR after publishTimeoutMs, then lands one after reconnect', async () => {
      const states: NatsBusStatus['state'][] = [];
      const bus = await NatsBus.connect({
        servers: nats.url,
        publishTimeoutMs: 600,
        reconnectTimeWaitMs: 100,
        onStatusChange: (s) => states.push(s.state),
      });
      try {
        await bus.ensureStream({ name: 'OUTAGE', subjects: ['outage.>'] });
        await bus.publish('outage.before', 0);
        await nats.stop('SIGKILL');
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
        await nats.start();
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
