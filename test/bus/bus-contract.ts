import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  Bus,
  BusMessage,
  ConsumerConfig,
  DeadLetterAdvisory,
  DeliveredMessage,
} from '../../src/bus/index.ts';
import type { ManualClock } from '../../src/core/clock.ts';

/** What a contract run needs from an implementation: a fresh bus, and how to tidy up after it. */
export interface BusFixture {
  bus: Bus;
  /** Not used by the contract (a real server cannot run on a fake clock); implementation tests may. */
  clock?: ManualClock | undefined;
  cleanup?: () => Promise<void>;
}

/** A unique token, so runs against a shared server never see each other's messages. */
function uid(): string {
  return randomUUID().replaceAll('-', '');
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` until it holds; fails the test after `timeoutMs`. */
async function waitFor(predicate: () => boolean, timeoutMs = 2_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await pause(5);
  }
}

/** The `code` of what `fn` throws (or its promise rejects with), or 'none'. */
async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return 'none';
  } catch (error) {
    return (error as { code?: string }).code ?? 'no code';
  }
}

/**
 * The behaviour every {@link Bus} implementation must show. Uses only the Bus interface and real
 * (short) waits, so the same suite runs unchanged against the in-process bus and against NATS.
 */
export function busContract(name: string, makeBus: () => Promise<BusFixture>): void {
  describe(`Bus contract: ${name}`, () => {
    let fixture: BusFixture;
    let bus: Bus;

    beforeEach(async () => {
      fixture = await makeBus();
      bus = fixture.bus;
    });

    afterEach(async () => {
      await bus.close();
      await fixture.cleanup?.();
    });

    /** Subscribes and returns the (live) list of messages received. */
    function collect(pattern: string, queue?: string): BusMessage[] {
      const got: BusMessage[] = [];
      bus.subscribe(pattern, (msg) => void got.push(msg), queue === undefined ? {} : { queue });
      return got;
    }

    describe('subjects', () => {
      it('delivers by exact subject and by * and > wildcards, and nothing else', async () => {
        const p = `t${uid()}`;
        const exact = collect(`${p}.a.b`);
        const star = collect(`${p}.*.b`);
        const tail = collect(`${p}.>`);
        const lastStar = collect(`${p}.a.*`);
        for (const s of [`${p}.a.b`, `${p}.x.b`, `${p}.a.c`, `${p}.a.b.c`, p, `o${uid()}.a.b`]) {
          await bus.publish(s, s);
        }
        await bus.publish(`${p}.a.b`, 'end'); // matches every pattern: arrives last on each
        const subjects = (got: BusMessage[]): string[] => got.map((m) => m.subject);
        for (const got of [exact, star, tail, lastStar]) await waitFor(() => got.at(-1)?.data === 'end');
        expect(subjects(exact)).toEqual([`${p}.a.b`, `${p}.a.b`]);
        expect(subjects(star)).toEqual([`${p}.a.b`, `${p}.x.b`, `${p}.a.b`]);
        expect(subjects(tail)).toEqual([`${p}.a.b`, `${p}.x.b`, `${p}.a.c`, `${p}.a.b.c`, `${p}.a.b`]);
        expect(subjects(lastStar)).toEqual([`${p}.a.b`, `${p}.a.c`, `${p}.a.b`]);
        expect(exact[0]?.data).toBe(`${p}.a.b`);
      });

      it('rejects invalid subjects and patterns with VALIDATION_FAILED', async () => {
        for (const bad of ['', 'a..b', '.a', 'a.', 'a b', 'a.*', 'a.>', '>', 'a*']) {
          expect(await codeOf(() => bus.publish(bad, 1)), `publish "${bad}"`).toBe('VALIDATION_FAILED');
        }
        for (const bad of ['', 'a..b', 'a.>.b', '>.a', 'a b', 'a*', 'a.b>']) {
          expect(await codeOf(() => bus.subscribe(bad, () => undefined)), `subscribe "${bad}"`).toBe(
            'VALIDATION_FAILED',
          );
        }
        expect(await codeOf(() => bus.ensureStream({ name: `S${uid()}`, subjects: ['a..b'] }))).toBe(
          'VALIDATION_FAILED',
        );
        expect(await codeOf(() => bus.publish(`ok${uid()}.x`, 1))).toBe('none');
      });

      it('delivers headers as given, unaffected by later changes to the object', async () => {
        const s = `h${uid()}.x`;
        const got = collect(s);
        const headers = { 'conclave-corr-id': 'corr-1', traceparent: '00-abc-def-01', 'x-custom': 'v' };
        await bus.publish(s, 1, { headers });
        headers['x-custom'] = 'changed';
        await waitFor(() => got.length === 1);
        expect(got[0]?.headers).toEqual({
          'conclave-corr-id': 'corr-1',
          traceparent: '00-abc-def-01',
          'x-custom': 'v',
        });
        const bare = collect(`${s}.bare`);
        await bus.publish(`${s}.bare`, 2);
        await waitFor(() => bare.length === 1);
        expect(bare[0]?.headers).toEqual({});
      });
    });

    describe('plain subscriptions', () => {
      it('gives each message to exactly one member of a queue group, and to every plain subscriber', async () => {
        const s = `q${uid()}.job`;
        const members = [collect(s, 'workers'), collect(s, 'workers'), collect(s, 'workers')];
        const plain = collect(s);
        const n = 30;
        for (let i = 0; i < n; i++) await bus.publish(s, i);
        const groupTotal = (): number => members.reduce((sum, m) => sum + m.length, 0);
        await waitFor(() => plain.length === n && groupTotal() === n, 2_000, 'all deliveries');
        const seen = members.flatMap((m) => m.map((msg) => msg.data as number)).sort((a, b) => a - b);
        expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
        for (const m of members) expect(m.length).toBeGreaterThan(0);
        expect(plain.map((m) => m.data)).toEqual(Array.from({ length: n }, (_, i) => i));
      });

      it('stops delivering after unsubscribe', async () => {
        const s = `u${uid()}.x`;
        const got: unknown[] = [];
        const sub = bus.subscribe(s, (m) => void got.push(m.data));
        const witness = collect(s);
        await bus.publish(s, 1);
        await waitFor(() => got.length === 1);
        await sub.unsubscribe();
        await bus.publish(s, 2);
        await waitFor(() => witness.length === 2);
        expect(got).toEqual([1]);
      });

      it('isolates a throwing or rejecting handler from the bus and from other subscribers', async () => {
        const s = `e${uid()}.x`;
        let syncCalls = 0;
        let asyncCalls = 0;
        bus.subscribe(s, () => {
          syncCalls++;
          throw new Error('handler bug');
        });
        bus.subscribe(s, async () => {
          asyncCalls++;
          await Promise.resolve();
          throw new Error('async handler bug');
        });
        const healthy = collect(s);
        for (let i = 0; i < 3; i++) await bus.publish(s, i);
        await waitFor(() => healthy.length === 3 && syncCalls === 3 && asyncCalls === 3);
        await bus.publish(s, 3);
        await waitFor(() => healthy.length === 4);
        expect(healthy.map((m) => m.data)).toEqual([0, 1, 2, 3]);
      });
    });

    describe('request/reply', () => {
      it('resolves with the reply', async () => {
        const s = `r${uid()}.echo`;
        bus.subscribe(s, (msg) =>
          bus.respond(msg, { echo: msg.data, corr: msg.headers['conclave-corr-id'] }),
        );
        const reply = await bus.request(
          s,
          { n: 1 },
          { timeoutMs: 2_000, headers: { 'conclave-corr-id': 'c9' } },
        );
        expect(reply.data).toEqual({ echo: { n: 1 }, corr: 'c9' });
      });

      it('rejects NO_RESPONDERS at once when nobody listens', async () => {
        const started = Date.now();
        expect(await codeOf(() => bus.request(`r${uid()}.nobody`, 1, { timeoutMs: 3_000 }))).toBe(
          'NO_RESPONDERS',
        );
        expect(Date.now() - started).toBeLessThan(1_000);
      });

      it('rejects TIMEOUT when the responder stays silent', async () => {
        const s = `r${uid()}.silent`;
        const got = collect(s);
        const started = Date.now();
        expect(await codeOf(() => bus.request(s, 1, { timeoutMs: 150 }))).toBe('TIMEOUT');
        expect(Date.now() - started).toBeGreaterThanOrEqual(100);
        expect(got).toHaveLength(1);
        expect(got[0]?.replyTo).toBeDefined();
      });

      it('rejects CANCELLED when the signal aborts', async () => {
        const s = `r${uid()}.slow`;
        collect(s);
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 20);
        expect(await codeOf(() => bus.request(s, 1, { timeoutMs: 2_000, signal: controller.signal }))).toBe(
          'CANCELLED',
        );
      });

      it('refuses to respond to a message without replyTo', async () => {
        const s = `r${uid()}.plain`;
        const got = collect(s);
        await bus.publish(s, 1);
        await waitFor(() => got.length === 1);
        expect(await codeOf(() => bus.respond(got[0]!, 2))).toBe('VALIDATION_FAILED');
      });
    });

    describe('streams and durable consumers', () => {
      /** A fresh stream capturing `<prefix>.>` and a consumer config on it. */
      async function stream(
        overrides: Partial<ConsumerConfig> = {},
      ): Promise<{ prefix: string; config: ConsumerConfig }> {
        const name = `S${uid()}`;
        const prefix = `s${uid()}`;
        await bus.ensureStream({ name, subjects: [`${prefix}.>`] });
        return {
          prefix,
          config: { stream: name, durable: `D${uid()}`, ackWaitMs: 5_000, maxDeliver: 5, ...overrides },
        };
      }

      /** Consumes, recording every delivery; `onMessage` decides what to do with it (default: ack). */
      async function consumeAll(
        config: ConsumerConfig,
        onMessage: (msg: DeliveredMessage) => void = (msg) => msg.ack(),
      ): Promise<{ got: DeliveredMessage[]; stop: () => Promise<void> }> {
        const got: DeliveredMessage[] = [];
        const sub = await bus.consume(config, (msg) => {
          got.push(msg);
          onMessage(msg);
        });
        return { got, stop: () => sub.unsubscribe() };
      }

      function advisories(subject: string): DeadLetterAdvisory[] {
        const got: DeadLetterAdvisory[] = [];
        bus.subscribe(subject, (msg) => void got.push(msg.data as DeadLetterAdvisory));
        return got;
      }

      it('delivers messages published before the first consume, in order, then new ones', async () => {
        const { prefix, config } = await stream();
        for (let i = 0; i < 3; i++) await bus.publish(`${prefix}.a`, i, { headers: { 'x-i': String(i) } });
        const { got, stop } = await consumeAll(config);
        await waitFor(() => got.length === 3);
        await bus.publish(`${prefix}.b`, 3);
        await waitFor(() => got.length === 4);
        expect(got.map((m) => m.data)).toEqual([0, 1, 2, 3]);
        expect(got.map((m) => m.deliveryCount)).toEqual([1, 1, 1, 1]);
        expect(got.map((m) => m.subject)).toEqual([
          `${prefix}.a`,
          `${prefix}.a`,
          `${prefix}.a`,
          `${prefix}.b`,
        ]);
        expect(got[1]?.headers).toEqual({ 'x-i': '1' });
        const seqs = got.map((m) => m.seq);
        expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
        expect(new Set(seqs).size).toBe(4);
        await stop();
      });

      it('delivers only what matches filterSubject', async () => {
        const { prefix, config } = await stream();
        const { got, stop } = await consumeAll({ ...config, filterSubject: `${prefix}.a` });
        await bus.publish(`${prefix}.b`, 'b');
        await bus.publish(`${prefix}.a`, 'a');
        await waitFor(() => got.at(-1)?.data === 'a');
        expect(got.map((m) => m.data)).toEqual(['a']);
        await stop();
      });

      it('does not redeliver an acked message', async () => {
        const { prefix, config } = await stream({ ackWaitMs: 200 });
        const { got, stop } = await consumeAll(config);
        await bus.publish(`${prefix}.x`, 'once');
        await waitFor(() => got.length === 1);
        await pause(450);
        expect(got).toHaveLength(1);
        await stop();
      });

      it('redelivers a nak(delay)ed message after the delay, with deliveryCount 2', async () => {
        const { prefix, config } = await stream();
        const times: number[] = [];
        const { got, stop } = await consumeAll(config, (msg) => {
          times.push(Date.now());
          if (msg.deliveryCount === 1) msg.nak(150);
          else msg.ack();
        });
        await bus.publish(`${prefix}.x`, 'retry-me');
        await waitFor(() => got.length === 2);
        expect(got[1]?.deliveryCount).toBe(2);
        expect(got[1]?.seq).toBe(got[0]?.seq);
        expect(got[1]?.data).toBe('retry-me');
        expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(100);
        await stop();
      });

      it('redelivers when the ack wait expires', async () => {
        const { prefix, config } = await stream({ ackWaitMs: 200 });
        const times: number[] = [];
        const { got, stop } = await consumeAll(config, (msg) => {
          times.push(Date.now());
          if (msg.deliveryCount > 1) msg.ack();
        });
        await bus.publish(`${prefix}.x`, 'slow');
        await waitFor(() => got.length === 2);
        expect(got.map((m) => m.deliveryCount)).toEqual([1, 2]);
        expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(150);
        await stop();
      });

      it('working() holds off redelivery past the ack wait', async () => {
        const { prefix, config } = await stream({ ackWaitMs: 200 });
        const { got, stop } = await consumeAll(config, (msg) => {
          void (async () => {
            for (let i = 0; i < 4; i++) {
              await pause(100);
              msg.working();
            }
            msg.ack();
          })();
        });
        await bus.publish(`${prefix}.x`, 'long job');
        await waitFor(() => got.length === 1);
        await pause(500);
        expect(got.map((m) => m.deliveryCount)).toEqual([1]);
        await stop();
      });

      it('dead-letters a message after maxDeliver deliveries without ack', async () => {
        const dead = `d${uid()}.dead`;
        const advised = advisories(dead);
        const { prefix, config } = await stream({ ackWaitMs: 150, maxDeliver: 2, deadLetterSubject: dead });
        const { got, stop } = await consumeAll(config, () => undefined);
        await bus.publish(`${prefix}.x`, { order: 7 }, { headers: { 'conclave-corr-id': 'c1' } });
        await waitFor(() => advised.length === 1, 2_000, 'dead-letter advisory');
        expect(advised[0]).toMatchObject({
          stream: config.stream,
          consumer: config.durable,
          seq: got[0]?.seq,
          subject: `${prefix}.x`,
          deliveries: 2,
          reason: 'max_deliveries',
          data: { order: 7 },
          headers: { 'conclave-corr-id': 'c1' },
        });
        await pause(250);
        expect(got.map((m) => m.deliveryCount)).toEqual([1, 2]);
        expect(advised).toHaveLength(1);
        await stop();
      });

      it('term() drops the message and publishes a "terminated" advisory', async () => {
        const dead = `d${uid()}.dead`;
        const advised = advisories(dead);
        const { prefix, config } = await stream({ ackWaitMs: 150, deadLetterSubject: dead });
        const { got, stop } = await consumeAll(config, (msg) => msg.term('bad payload'));
        await bus.publish(`${prefix}.x`, 'poison');
        await waitFor(() => advised.length === 1, 2_000, 'dead-letter advisory');
        expect(advised[0]).toMatchObject({
          reason: 'terminated',
          detail: 'bad payload',
          deliveries: 1,
          data: 'poison',
        });
        await pause(250);
        expect(got).toHaveLength(1);
        await stop();
      });

      it('drops a duplicate msgId without failing the publish', async () => {
        const { prefix, config } = await stream();
        await bus.publish(`${prefix}.x`, 'first', { msgId: 'm1' });
        expect(await codeOf(() => bus.publish(`${prefix}.x`, 'duplicate', { msgId: 'm1' }))).toBe('none');
        await bus.publish(`${prefix}.x`, 'second', { msgId: 'm2' });
        await bus.publish(`${prefix}.x`, 'end');
        const { got, stop } = await consumeAll(config);
        await waitFor(() => got.at(-1)?.data === 'end');
        expect(got.map((m) => m.data)).toEqual(['first', 'second', 'end']);
        await stop();
      });

      it('splits one durable between two consume calls, none doubled', async () => {
        const { prefix, config } = await stream({ maxAckPending: 1 });
        const slowAck = (msg: DeliveredMessage): void => void pause(5).then(() => msg.ack());
        const a = await consumeAll(config, slowAck);
        const b = await consumeAll(config, slowAck);
        const n = 12;
        for (let i = 0; i < n; i++) await bus.publish(`${prefix}.x`, i);
        await waitFor(() => a.got.length + b.got.length >= n, 3_000, 'all messages');
        await pause(50);
        const all = [...a.got, ...b.got].map((m) => m.data as number).sort((x, y) => x - y);
        expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(a.got.length).toBeGreaterThan(0);
        expect(b.got.length).toBeGreaterThan(0);
        await a.stop();
        await b.stop();
      });

      it('resumes a durable where it stopped after unsubscribe', async () => {
        const { prefix, config } = await stream();
        const first = await consumeAll(config);
        await bus.publish(`${prefix}.x`, 0);
        await bus.publish(`${prefix}.x`, 1);
        await waitFor(() => first.got.length === 2);
        await first.stop();
        await bus.publish(`${prefix}.x`, 2);
        await bus.publish(`${prefix}.x`, 3);
        const second = await consumeAll(config);
        await waitFor(() => second.got.at(-1)?.data === 3);
        expect(second.got.map((m) => m.data)).toEqual([2, 3]);
        expect(first.got).toHaveLength(2);
        await second.stop();
      });

      it('holds at most maxAckPending unacked deliveries per consume call', async () => {
        const { prefix, config } = await stream({ maxAckPending: 2 });
        const { got, stop } = await consumeAll(config, () => undefined);
        for (let i = 0; i < 5; i++) await bus.publish(`${prefix}.x`, i);
        await waitFor(() => got.length === 2);
        await pause(100);
        expect(got.map((m) => m.data)).toEqual([0, 1]);
        got[0]!.ack();
        await waitFor(() => got.length === 3);
        expect(got[2]?.data).toBe(2);
        await stop();
      });
    });

    describe('close', () => {
      it('rejects publishes after close with BUS_ERROR', async () => {
        const s = `c${uid()}.x`;
        expect(await codeOf(() => bus.publish(s, 1))).toBe('none');
        await bus.close();
        expect(await codeOf(() => bus.publish(s, 2))).toBe('BUS_ERROR');
      });
    });
  });
}
