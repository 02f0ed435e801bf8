import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NatsBus, compileNatsBusOptions } from '../../src/bus/index.ts';
import type { DeliveredMessage } from '../../src/bus/index.ts';
import { requireService, suiteName } from '../support/services.ts';
import { busContract } from './bus-contract.ts';
import { NATS_URL, StreamTrackingBus, deleteStreams, pause, waitFor } from './nats-support.ts';

const nats = await requireService(`NATS at ${NATS_URL}`, async () => {
  const probe = await NatsBus.connect({ servers: NATS_URL, name: 'conclave-probe' });
  await probe.close();
});

function uid(): string {
  return randomUUID().replaceAll('-', '');
}

describe('compileNatsBusOptions', () => {
  it('fills in defaults', () => {
    const compiled = compileNatsBusOptions();
    expect(compiled.servers).toEqual(['nats://127.0.0.1:4222']);
    expect(compiled.publishTimeoutMs).toBe(5_000);
    expect(compiled.maxReconnectAttempts).toBe(-1);
  });

  it.each([
    [{ servers: [] }, 'servers'],
    [{ servers: [''] }, 'servers'],
    [{ publishTimeoutMs: 0 }, 'publishTimeoutMs'],
    [{ apiTimeoutMs: Number.NaN }, 'apiTimeoutMs'],
    [{ maxReconnectAttempts: -2 }, 'maxReconnectAttempts'],
    [{ reconnectTimeWaitMs: -1 }, 'reconnectTimeWaitMs'],
    [{ name: '' }, 'name'],
  ])('rejects %j naming the field', (options, field) => {
    expect(() => compileNatsBusOptions(options)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', field }) as Error,
    );
  });
});

describe.skipIf(!nats.available)(suiteName('NATS bus', nats), () => {
  busContract('NatsBus', async () => {
    const created = new Set<string>();
    const bus = new StreamTrackingBus(await NatsBus.connect({ servers: NATS_URL }), created);
    return { bus, cleanup: () => deleteStreams(created) };
  });

  describe('NATS specifics', () => {
    /** Two buses on the server and a fresh stream `prefix.>`; deletes the stream afterwards. */
    async function withStream(
      run: (a: NatsBus, b: NatsBus, stream: string, prefix: string) => Promise<void>,
    ): Promise<void> {
      const stream = `S${uid()}`;
      const prefix = `s${uid()}`;
      const a = await NatsBus.connect({ servers: NATS_URL });
      await a.ensureStream({ name: stream, subjects: [`${prefix}.>`] });
      const b = await NatsBus.connect({ servers: NATS_URL });
      try {
        await run(a, b, stream, prefix);
      } finally {
        await a.close();
        await b.close();
        await deleteStreams(new Set([stream]));
      }
    }

    it('reports a connected status, then closed; calls after close reject', async () => {
      const bus = await NatsBus.connect({ servers: NATS_URL });
      expect(bus.status().state).toBe('connected');
      await bus.close();
      await bus.close();
      expect(bus.status().state).toBe('closed');
      await expect(bus.ensureStream({ name: `S${uid()}`, subjects: ['x.y'] })).rejects.toMatchObject({
        code: 'BUS_ERROR',
      });
      expect(() => bus.subscribe('x', () => undefined)).toThrow(
        expect.objectContaining({ code: 'BUS_ERROR' }) as Error,
      );
    });

    it('fails to connect with BUS_ERROR naming the server when nothing listens', async () => {
      await expect(
        NatsBus.connect({ servers: 'nats://127.0.0.1:1', reconnect: false, apiTimeoutMs: 1_000 }),
      ).rejects.toMatchObject({
        code: 'BUS_ERROR',
        message: expect.stringContaining('127.0.0.1:1') as string,
      });
    });

    it('drops a msgId duplicate published by another bus instance', async () => {
      await withStream(async (a, b, stream, prefix) => {
        await a.publish(`${prefix}.x`, 'from a', { msgId: 'same' });
        await b.publish(`${prefix}.x`, 'from b', { msgId: 'same' });
        await b.publish(`${prefix}.x`, 'end');
        const got: DeliveredMessage[] = [];
        const sub = await a.consume(
          { stream, durable: `D${uid()}`, ackWaitMs: 5_000, maxDeliver: 3 },
          (m) => {
            got.push(m);
            m.ack();
          },
        );
        await waitFor(() => got.at(-1)?.data === 'end');
        expect(got.map((m) => m.data)).toEqual(['from a', 'end']);
        expect(got[0]?.headers['Nats-Msg-Id']).toBe('same');
        await sub.unsubscribe();
      });
    });

    it('splits one durable between consume calls on two buses, none doubled or lost', async () => {
      await withStream(async (a, b, stream, prefix) => {
        const config = { stream, durable: `D${uid()}`, ackWaitMs: 5_000, maxDeliver: 3, maxAckPending: 2 };
        const seen: Record<string, number[]> = { a: [], b: [] };
        const handler =
          (who: 'a' | 'b') =>
          (m: DeliveredMessage): void => {
            seen[who]?.push(m.data as number);
            void pause(10).then(() => m.ack());
          };
        const subA = await a.consume(config, handler('a'));
        const subB = await b.consume(config, handler('b'));
        const n = 40;
        for (let i = 0; i < n; i++) await a.publish(`${prefix}.job`, i);
        const total = (): number => (seen['a']?.length ?? 0) + (seen['b']?.length ?? 0);
        await waitFor(() => total() >= n, 5_000, 'all messages');
        await pause(100);
        const all = [...(seen['a'] ?? []), ...(seen['b'] ?? [])].sort((x, y) => x - y);
        expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(seen['a']?.length).toBeGreaterThan(0);
        expect(seen['b']?.length).toBeGreaterThan(0);
        await subA.unsubscribe();
        await subB.unsubscribe();
      });
    });

    it('sends one max-deliveries advisory when two buses consume the same durable', async () => {
      await withStream(async (a, b, stream, prefix) => {
        const dead = `d${uid()}.dead`;
        const advised: unknown[] = [];
        a.subscribe(dead, (m) => void advised.push(m.data));
        const config = {
          stream,
          durable: `D${uid()}`,
          ackWaitMs: 150,
          maxDeliver: 2,
          deadLetterSubject: dead,
        };
        const subA = await a.consume(config, () => undefined);
        const subB = await b.consume(config, () => undefined);
        await a.publish(`${prefix}.x`, { n: 1 }, { headers: { 'conclave-corr-id': 'c7' } });
        await waitFor(() => advised.length === 1, 3_000, 'advisory');
        await pause(400);
        expect(advised).toHaveLength(1);
        expect(advised[0]).toMatchObject({ reason: 'max_deliveries', data: { n: 1 }, deliveries: 2 });
        await subA.unsubscribe();
        await subB.unsubscribe();
      });
    });

    it('publishes to a stream made by another process after connect, deduplicating by msgId', async () => {
      const late = await NatsBus.connect({ servers: NATS_URL });
      await withStream(async (a, _b, stream, prefix) => {
        await late.publish(`${prefix}.x`, 1, { msgId: 'k' });
        await late.publish(`${prefix}.x`, 2, { msgId: 'k' });
        await late.publish(`${prefix}.x`, 'end');
        const got: unknown[] = [];
        const sub = await a.consume(
          { stream, durable: `D${uid()}`, ackWaitMs: 5_000, maxDeliver: 1 },
          (m) => {
            got.push(m.data);
            m.ack();
          },
        );
        await waitFor(() => got.at(-1) === 'end');
        expect(got).toEqual([1, 'end']);
        await sub.unsubscribe();
      });
      await late.close();
    });
  });
});
