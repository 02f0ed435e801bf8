import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MemoryBus,
  SubjectIndex,
  patternsOverlap,
  subjectMatches,
  validatePattern,
  validateSubject,
} from '../../src/bus/index.ts';
import type {
  BusMessage,
  ConsumerConfig,
  DeadLetterAdvisory,
  DeliveredMessage,
  MessageHandler,
} from '../../src/bus/index.ts';
import { ManualClock, flushMicrotasks } from '../../src/core/clock.ts';
import { busContract } from './bus-contract.ts';

busContract('MemoryBus', () => Promise.resolve({ bus: new MemoryBus() }));

/** The obvious matcher, to check the clever one against. */
function naiveMatches(pattern: string, subject: string): boolean {
  const source = pattern
    .split('.')
    .map((t) => (t === '*' ? '[^.]+' : t === '>' ? '.+' : t.replace(/[^a-z0-9]/gi, (c) => `\\${c}`)))
    .join('\\.');
  return new RegExp(`^${source}$`).test(subject);
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'none';
  } catch (error) {
    return (error as { code?: string }).code ?? 'no code';
  }
}

describe('subject syntax', () => {
  it.each(['a', 'a.b.c', '_INBOX.x.1', 'signals.enriched.momentum-v2', 'A-b_c.9'])(
    'accepts subject %s',
    (s) => {
      expect(codeOf(() => validateSubject(s))).toBe('none');
    },
  );

  it.each(['', '.', 'a.', '.a', 'a..b', 'a b', 'a\tb', 'a.*', '*', '>', 'a.>', 'a*', 'b>'])(
    'rejects subject %j',
    (s) => {
      expect(codeOf(() => validateSubject(s))).toBe('VALIDATION_FAILED');
    },
  );

  it.each(['a', '*', '>', 'a.*', 'a.>', '*.*.>', 'a.*.c'])('accepts pattern %s', (p) => {
    expect(codeOf(() => validatePattern(p))).toBe('none');
  });

  it.each(['', 'a..b', '>.a', 'a.>.b', 'a.>.>', 'a*', 'a.b*', '*a', 'a. b'])('rejects pattern %j', (p) => {
    expect(codeOf(() => validatePattern(p))).toBe('VALIDATION_FAILED');
  });

  it('names the offending subject in the error', () => {
    expect(() => validateSubject('orders..new')).toThrow(/"orders\.\.new"/);
  });
});

describe('subjectMatches', () => {
  it.each([
    ['a.b', 'a.b', true],
    ['a.b', 'a.c', false],
    ['a.*', 'a.b', true],
    ['a.*', 'a', false],
    ['a.*', 'a.b.c', false],
    ['a.>', 'a.b', true],
    ['a.>', 'a.b.c.d', true],
    ['a.>', 'a', false],
    ['>', 'a', true],
    ['>', 'a.b', true],
    ['*', 'a', true],
    ['*', 'a.b', false],
    ['*.b.>', 'x.b.c', true],
    ['*.b.>', 'x.b', false],
    ['a.b', 'a.b.c', false],
    ['a.b.c', 'a.b', false],
  ])('%s ~ %s is %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
    expect(naiveMatches(pattern, subject)).toBe(expected);
  });

  it.each([
    ['a.>', 'a.b', true],
    ['a.*', 'a.b.c', false],
    ['a.*', '*.b', true],
    ['a.b', 'a.c', false],
    ['a', 'a.>', false],
    ['>', 'x.y', true],
    ['a.*.c', 'a.b.*', true],
  ])('overlap(%s, %s) is %s', (a, b, expected) => {
    expect(patternsOverlap(a, b)).toBe(expected);
    expect(patternsOverlap(b, a)).toBe(expected);
  });
});

const token = fc.constantFrom('a', 'b', 'c');
const subjectArb = fc.array(token, { minLength: 1, maxLength: 5 }).map((t) => t.join('.'));
const patternArb = fc
  .tuple(fc.array(fc.constantFrom('a', 'b', 'c', '*'), { minLength: 0, maxLength: 4 }), fc.boolean())
  .filter(([tokens, tail]) => tokens.length > 0 || tail)
  .map(([tokens, tail]) => [...tokens, ...(tail ? ['>'] : [])].join('.'));

describe('SubjectIndex', () => {
  it('finds values by exact and wildcard patterns and forgets removed ones', () => {
    const index = new SubjectIndex<string>();
    index.add('a.b', 'exact');
    index.add('a.*', 'star');
    index.add('a.>', 'tail');
    index.add('>', 'all');
    index.add('a.b', 'exact');
    expect(index.size).toBe(4);
    expect(index.match('a.b').sort()).toEqual(['all', 'exact', 'star', 'tail']);
    expect(index.match('a.b.c').sort()).toEqual(['all', 'tail']);
    expect(index.match('a').sort()).toEqual(['all']);
    expect(index.remove('a.*', 'star')).toBe(true);
    expect(index.remove('a.*', 'star')).toBe(false);
    expect(index.remove('x.y', 'exact')).toBe(false);
    expect(index.match('a.b').sort()).toEqual(['all', 'exact', 'tail']);
    for (const [p, v] of [
      ['a.b', 'exact'],
      ['a.>', 'tail'],
      ['>', 'all'],
    ] as const)
      index.remove(p, v);
    expect(index.size).toBe(0);
    expect(index.match('a.b')).toEqual([]);
  });

  it('rejects an invalid pattern', () => {
    expect(codeOf(() => new SubjectIndex<number>().add('a.>.b', 1))).toBe('VALIDATION_FAILED');
  });

  it('agrees with the naive matcher on random patterns and subjects (property)', () => {
    fc.assert(
      fc.property(
        fc.array(patternArb, { minLength: 1, maxLength: 12 }),
        fc.array(subjectArb, { maxLength: 20 }),
        fc.nat(),
        (patterns, subjects, seed) => {
          const index = new SubjectIndex<number>();
          patterns.forEach((p, i) => index.add(p, i));
          // Remove a pseudo-random few, to exercise pruning.
          const live = patterns.map((p, i) => (i + seed) % 3 !== 0 || !index.remove(p, i));
          for (const s of subjects) {
            const expected = patterns.flatMap((p, i) => (live[i] && naiveMatches(p, s) ? [i] : []));
            expect(index.match(s).sort((x, y) => x - y)).toEqual(expected);
            for (const p of patterns) expect(subjectMatches(p, s)).toBe(naiveMatches(p, s));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('patternsOverlap is true exactly when some subject matches both (property)', () => {
    const alphabet = ['a', 'b', 'c', 'z'];
    const subjects: string[] = [];
    let layer = [''];
    for (let n = 1; n <= 5; n++) {
      layer = layer.flatMap((prefix) => alphabet.map((t) => (prefix === '' ? t : `${prefix}.${t}`)));
      subjects.push(...layer);
    }
    fc.assert(
      fc.property(patternArb, patternArb, (a, b) => {
        const witness = subjects.some((s) => naiveMatches(a, s) && naiveMatches(b, s));
        expect(patternsOverlap(a, b)).toBe(witness);
      }),
      { numRuns: 500 },
    );
  });
});

describe('MemoryBus', () => {
  function setup(): { bus: MemoryBus; clock: ManualClock } {
    const clock = new ManualClock();
    return { bus: new MemoryBus({ clock }), clock };
  }

  async function durable(
    bus: MemoryBus,
    overrides: Partial<ConsumerConfig> = {},
    onMessage: (msg: DeliveredMessage) => void = () => undefined,
  ): Promise<DeliveredMessage[]> {
    await bus.ensureStream({ name: 'ORDERS', subjects: ['orders.>'], maxAgeMs: 60_000 });
    const got: DeliveredMessage[] = [];
    await bus.consume(
      { stream: 'ORDERS', durable: 'w', ackWaitMs: 30_000, maxDeliver: 3, ...overrides },
      (msg) => {
        got.push(msg);
        onMessage(msg);
      },
    );
    return got;
  }

  it('never runs a handler inside publish', async () => {
    const { bus } = setup();
    let calls = 0;
    bus.subscribe('x', () => void calls++);
    const published = bus.publish('x', 1);
    expect(calls).toBe(0);
    await published;
    await flushMicrotasks();
    expect(calls).toBe(1);
  });

  it('counts publishes, deliveries and handler errors, and reports errors to the hook', async () => {
    const errors: Array<[unknown, string]> = [];
    const bus = new MemoryBus({ onHandlerError: (e, s) => void errors.push([e, s]) });
    bus.subscribe('x.*', () => {
      throw new Error('sync');
    });
    bus.subscribe('x.>', () => Promise.reject(new Error('async')));
    await bus.publish('x.y', 1);
    await bus.publish('nobody.home', 2);
    await flushMicrotasks();
    expect(bus.stats()).toEqual({ published: 2, delivered: 2, handlerErrors: 2 });
    expect(errors.map(([, s]) => s)).toEqual(['x.y', 'x.y']);
  });

  it('ignores a non-promise value returned by a handler', async () => {
    const { bus } = setup();
    const got: BusMessage[] = [];
    const returnsNumber = (m: BusMessage): number => got.push(m); // as plain JS callers can
    bus.subscribe('x', returnsNumber as unknown as MessageHandler);
    await bus.publish('x', 1);
    await flushMicrotasks();
    expect(got).toHaveLength(1);
    expect(bus.stats().handlerErrors).toBe(0);
  });

  it('stores a message once in a stream whose own subjects overlap', async () => {
    const { bus } = setup();
    await bus.ensureStream({ name: 'O', subjects: ['o.*', 'o.>'] });
    await bus.publish('o.x', 1);
    const got: DeliveredMessage[] = [];
    await bus.consume(
      { stream: 'O', durable: 'c', ackWaitMs: 1_000, maxDeliver: 1 },
      (m) => void got.push(m),
    );
    await flushMicrotasks();
    expect(got.map((m) => m.seq)).toEqual([1]);
  });

  it('sees subscriptions added or removed after a subject was published (plan cache invalidation)', async () => {
    const { bus } = setup();
    const first: unknown[] = [];
    const second: unknown[] = [];
    bus.subscribe('p.q', (m) => void first.push(m.data));
    await bus.publish('p.q', 1);
    const sub = bus.subscribe('p.*', (m) => void second.push(m.data));
    await bus.publish('p.q', 2);
    await sub.unsubscribe();
    await bus.publish('p.q', 3);
    await flushMicrotasks();
    expect(first).toEqual([1, 2, 3]);
    expect(second).toEqual([2]);
  });

  it('delivers what a naive matcher says across random subscribe/unsubscribe/publish sequences (property)', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('sub' as const), pattern: patternArb }),
      fc.record({ kind: fc.constant('unsub' as const), index: fc.nat() }),
      fc.record({ kind: fc.constant('pub' as const), subject: subjectArb }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const bus = new MemoryBus();
        const subs: Array<{
          pattern: string;
          got: string[];
          expected: string[];
          live: boolean;
          off: () => Promise<void>;
        }> = [];
        for (const o of ops) {
          if (o.kind === 'sub') {
            const got: string[] = [];
            const s = bus.subscribe(o.pattern, (m) => void got.push(m.subject));
            subs.push({ pattern: o.pattern, got, expected: [], live: true, off: () => s.unsubscribe() });
          } else if (o.kind === 'unsub' && subs.length > 0) {
            const s = subs[o.index % subs.length]!;
            s.live = false;
            await s.off();
          } else if (o.kind === 'pub') {
            for (const s of subs)
              if (s.live && naiveMatches(s.pattern, o.subject)) s.expected.push(o.subject);
            await bus.publish(o.subject, null);
            await flushMicrotasks();
          }
        }
        for (const s of subs) expect(s.got).toEqual(s.expected);
        await bus.close();
      }),
      { numRuns: 100 },
    );
  });

  it('rotates a queue group round robin', async () => {
    const { bus } = setup();
    const got: number[][] = [[], [], []];
    got.forEach((list, i) => bus.subscribe('job', () => void list.push(i), { queue: 'g' }));
    for (let i = 0; i < 9; i++) await bus.publish('job', i);
    await flushMicrotasks();
    expect(got.map((l) => l.length)).toEqual([3, 3, 3]);
  });

  it('lets a handler publish; the nested delivery runs after the publish call returns', async () => {
    const { bus } = setup();
    const order: string[] = [];
    bus.subscribe('a', (m) => {
      order.push('a:start');
      void bus.publish('b', m.data);
      order.push('a:published');
    });
    bus.subscribe('b', (m) => void order.push(`b:${String(m.data)}`));
    await bus.publish('a', 1);
    await flushMicrotasks();
    expect(order).toEqual(['a:start', 'a:published', 'b:1']);
  });

  it('redelivers after exactly ackWaitMs on the manual clock', async () => {
    const { bus, clock } = setup();
    const got = await durable(bus, { ackWaitMs: 30_000 });
    await bus.publish('orders.new', { id: 1 });
    await flushMicrotasks();
    expect(got).toHaveLength(1);
    await clock.advance(29_999);
    expect(got).toHaveLength(1);
    await clock.advance(1);
    expect(got.map((m) => m.deliveryCount)).toEqual([1, 2]);
    got[1]!.ack();
    await clock.advance(60_000);
    expect(got).toHaveLength(2);
  });

  it('working() restarts the ack-wait timer; a stale delivery cannot nak', async () => {
    const { bus, clock } = setup();
    const got = await durable(bus, { ackWaitMs: 1_000 });
    await bus.publish('orders.new', 1);
    await flushMicrotasks();
    await clock.advance(800);
    got[0]!.working();
    await clock.advance(800);
    expect(got).toHaveLength(1);
    await clock.advance(200);
    expect(got.map((m) => m.deliveryCount)).toEqual([1, 2]);
    got[0]!.nak(); // stale: ignored
    await flushMicrotasks();
    expect(got).toHaveLength(2);
    got[0]!.ack(); // an ack from any delivery settles the message
    await clock.advance(5_000);
    expect(got).toHaveLength(2);
  });

  it('nak(delay) waits on the clock; exhaustion dead-letters with the message', async () => {
    const { bus, clock } = setup();
    const dead: DeadLetterAdvisory[] = [];
    bus.subscribe('dlq.orders', (m) => void dead.push(m.data as DeadLetterAdvisory));
    const got = await durable(bus, { maxDeliver: 2, deadLetterSubject: 'dlq.orders' }, (m) => m.nak(500));
    await bus.publish('orders.new', 'x', { headers: { 'conclave-corr-id': 'c' } });
    await flushMicrotasks();
    await clock.advance(499);
    expect(got).toHaveLength(1);
    await clock.advance(1);
    expect(got).toHaveLength(2);
    await flushMicrotasks();
    expect(dead).toEqual([
      {
        stream: 'ORDERS',
        consumer: 'w',
        seq: 1,
        subject: 'orders.new',
        deliveries: 2,
        reason: 'max_deliveries',
        data: 'x',
        headers: { 'conclave-corr-id': 'c' },
      },
    ]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('forgets a msgId once the duplicate window has passed', async () => {
    const { bus, clock } = setup();
    await bus.ensureStream({ name: 'D', subjects: ['d.*'], duplicateWindowMs: 1_000 });
    await bus.publish('d.x', 1, { msgId: 'm' });
    await clock.advance(999);
    await bus.publish('d.x', 2, { msgId: 'm' });
    await clock.advance(1);
    await bus.publish('d.x', 3, { msgId: 'm' });
    const got: unknown[] = [];
    await bus.consume({ stream: 'D', durable: 'c', ackWaitMs: 1_000, maxDeliver: 1 }, (m) => {
      got.push(m.data);
      expect(m.headers['Nats-Msg-Id']).toBe('m');
      m.ack();
    });
    await flushMicrotasks();
    expect(got).toEqual([1, 3]);
  });

  it('keeps at most maxMsgs and drops messages older than maxAgeMs', async () => {
    const { bus, clock } = setup();
    await bus.ensureStream({ name: 'L', subjects: ['l.>'], maxMsgs: 3, maxAgeMs: 10_000 });
    for (let i = 0; i < 5; i++) await bus.publish('l.x', i);
    await clock.advance(6_000);
    await bus.publish('l.x', 5);
    await clock.advance(6_000);
    const got: DeliveredMessage[] = [];
    await bus.consume(
      { stream: 'L', durable: 'c', ackWaitMs: 1_000, maxDeliver: 1 },
      (m) => void got.push(m),
    );
    await flushMicrotasks();
    expect(got.map((m) => [m.seq, m.data])).toEqual([[6, 5]]);
  });

  it('does not redeliver a message its stream has since dropped', async () => {
    const { bus, clock } = setup();
    await bus.ensureStream({ name: 'T', subjects: ['t.>'], maxMsgs: 1 });
    const got: DeliveredMessage[] = [];
    await bus.consume(
      { stream: 'T', durable: 'c', ackWaitMs: 1_000, maxDeliver: 5, maxAckPending: 1 },
      (m) => void got.push(m),
    );
    await bus.publish('t.x', 'old');
    await flushMicrotasks();
    await bus.publish('t.x', 'new');
    await clock.advance(1_000);
    expect(got.map((m) => m.data)).toEqual(['old', 'new']);
  });

  it('refuses overlapping streams, unknown streams and bad consumer settings', async () => {
    const { bus } = setup();
    await bus.ensureStream({ name: 'A', subjects: ['a.*'] });
    await expect(bus.ensureStream({ name: 'B', subjects: ['a.x'] })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(bus.ensureStream({ name: 'A', subjects: ['a.>'] })).resolves.toBeUndefined();
    await expect(bus.ensureStream({ name: 'bad.name', subjects: ['z'] })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    const handler = (): void => undefined;
    const base = { stream: 'A', durable: 'd', ackWaitMs: 100, maxDeliver: 1 };
    await expect(bus.consume({ ...base, stream: 'NOPE' }, handler)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(bus.consume({ ...base, maxDeliver: 0 }, handler)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(bus.consume({ ...base, ackWaitMs: 0 }, handler)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(bus.consume({ ...base, filterSubject: 'b.>' }, handler)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(bus.consume({ ...base, deadLetterSubject: 'dl.*' }, handler)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('times a request out on the clock and fails pending requests on close', async () => {
    const { bus, clock } = setup();
    bus.subscribe('svc', () => undefined);
    const timedOut = bus.request('svc', 1, { timeoutMs: 1_000 });
    const outcome = timedOut.then(
      () => 'resolved',
      (e: { code: string }) => e.code,
    );
    await clock.advance(999);
    const open = bus.request('svc', 2, { timeoutMs: 5_000 });
    await clock.advance(1);
    expect(await outcome).toBe('TIMEOUT');
    await bus.close();
    await expect(open).rejects.toMatchObject({ code: 'BUS_ERROR' });
    expect(clock.pendingTimers).toBe(0);
  });

  it('stops timers and deliveries on close, and refuses new work', async () => {
    const { bus, clock } = setup();
    const got = await durable(bus);
    const plain: BusMessage[] = [];
    bus.subscribe('orders.>', (m) => void plain.push(m));
    await bus.publish('orders.new', 1);
    await flushMicrotasks();
    expect(clock.pendingTimers).toBe(1);
    const last = bus.publish('orders.new', 2);
    await bus.close();
    await last;
    await clock.advance(60_000);
    expect(got).toHaveLength(1);
    expect(plain).toHaveLength(1);
    got[0]!.nak(1_000);
    got[0]!.working();
    expect(clock.pendingTimers).toBe(0);
    expect(codeOf(() => bus.subscribe('x', () => undefined))).toBe('BUS_ERROR');
    await expect(bus.ensureStream({ name: 'N', subjects: ['n'] })).rejects.toMatchObject({
      code: 'BUS_ERROR',
    });
    await expect(bus.request('orders.new', 1, { timeoutMs: 10 })).rejects.toMatchObject({
      code: 'BUS_ERROR',
    });
    await expect(bus.close()).resolves.toBeUndefined();
  });
});
