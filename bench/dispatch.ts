/**
 * dispatch: in-process no-op agents through the whole policy stack — routing rule, round-robin
 * balancer over 4 agents, connection limits, circuit breakers, token-bucket rate limits (generous),
 * the priority queue, and group-committed persistence of every task (queued and final state) to a
 * SQLite file in WAL mode. Baseline in the same run: p-queue (concurrency 50) doing the same no-op
 * work, FIFO and with random priorities — with no persistence at all.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PQueue from 'p-queue';
import { AgentRegistry, InprocTransport } from '../src/agents/index.ts';
import { loadConfig } from '../src/core/config.ts';
import { Dispatcher, RoutingTable, compileDispatcherOptions } from '../src/dispatch/index.ts';
import type { SubmitInput } from '../src/dispatch/index.ts';
import { openSqliteStore } from '../src/store/index.ts';
import type { Store } from '../src/store/store.ts';
import { gc, heapUsed, percentile, printTable, round } from './support.ts';

const AGENTS = 4;
const THROUGHPUT_TASKS = 200_000;
const QUEUED_TASKS = 100_000;
/**
 * 10 s at the steady rate. An occasional stall of 10-60 ms (seen with no GC in it, on this
 * shared 2-core VM) either lands in a 4 s window or misses it, which put one run's p99 at 2 ms
 * and the next at 0.5 ms; over 10 s its share is nearer its real rate. p99.9 and the worst
 * latency are reported too, so such stalls stay visible.
 */
const LATENCY_TASKS = 100_000;
const LATENCY_RATE_PER_S = 10_000;
/** How SQLite batches run (`BENCH_SQLITE_WRITES=thread|inline|adaptive`), default as shipped. */
const WRITES = (process.env['BENCH_SQLITE_WRITES'] ?? 'adaptive') as 'adaptive' | 'thread' | 'inline';
/** Callers in the windowed shape, each submitting one task and awaiting its outcome at a time. */
const WINDOW = 2_000;

interface Rig {
  store: Store;
  registry: AgentRegistry;
  dispatcher: Dispatcher;
  close(): Promise<void>;
}

export async function rig(dir: string, name: string, agent: () => unknown, maxInFlight = 256): Promise<Rig> {
  const config = loadConfig({
    path: '/dev/null',
    env: {},
    overrides: {
      dispatcher: {
        max_queue_size: 1_000_000,
        max_in_flight: maxInFlight,
        rate_limiting: { default_rate_per_minute: 1e12, burst_size: 1_000_000 },
      },
      routing_rules: [{ pattern: 'noop', capability: 'noop.run', timeout: 30, priority: 3 }],
    },
  });
  const store = await openSqliteStore({ path: join(dir, `${name}.db`), batchWrites: WRITES });
  const registry = new AgentRegistry({
    heartbeatIntervalMs: 15_000,
    timeoutThresholdMs: 300_000,
    errorThreshold: 5,
    errorWindowMs: 60_000,
  });
  for (let i = 0; i < AGENTS; i++) {
    registry.register({
      name: `noop-${i}`,
      capabilities: ['noop.run'],
      transport: new InprocTransport(agent),
      maxConnections: 10_000,
    });
  }
  const dispatcher = new Dispatcher(compileDispatcherOptions(config.dispatcher), {
    store,
    registry,
    routing: new RoutingTable(config.routing_rules),
  });
  return {
    store,
    registry,
    dispatcher,
    close: async () => {
      await dispatcher.close(0);
      await registry.close();
      await store.close();
    },
  };
}

function input(i: number): SubmitInput {
  return { pattern: 'noop', payload: { symbol: 'AAPL', qty: 100, i }, priority: 1 + (i % 5) };
}

/** Submits `n` tasks as independent callers would (each submit awaited by its caller). */
export async function throughput(
  r: Rig,
  n: number,
): Promise<{ tasksPerS: number; ms: number; loopUsPerTask: number }> {
  let finished = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  const off = r.dispatcher.events.on('finished', () => {
    if (++finished === n) done();
  });
  const t0 = performance.now();
  const elu = performance.eventLoopUtilization();
  const submits: Promise<unknown>[] = new Array<Promise<unknown>>(n);
  for (let i = 0; i < n; i++) submits[i] = r.dispatcher.submit(input(i));
  await Promise.all(submits);
  await all;
  await r.dispatcher.flush(); // every final state committed
  const ms = performance.now() - t0;
  const loopUsPerTask = (performance.eventLoopUtilization(elu).active * 1000) / n;
  off();
  return { tasksPerS: n / (ms / 1000), ms, loopUsPerTask };
}

/** W callers, each submitting a task and awaiting its final (committed) outcome, then the next. */
async function windowed(r: Rig, n: number): Promise<number> {
  let next = 0;
  const caller = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) {
      const t = await r.dispatcher.submit(input(i));
      await r.dispatcher.wait(t.id);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: WINDOW }, caller));
  return n / ((performance.now() - t0) / 1000);
}

async function pqueueWindowed(n: number): Promise<number> {
  const q = new PQueue({ concurrency: 50 });
  const noop = async (): Promise<void> => undefined;
  let next = 0;
  const caller = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) await q.add(noop, { priority: 1 + (i % 5) });
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: WINDOW }, caller));
  return n / ((performance.now() - t0) / 1000);
}

/**
 * Steady load well under capacity: for every task, the time from its submit() call to its final
 * state (the no-op agent's own time is nil). It includes the durable intake commit.
 */
export async function latency(dir: string): Promise<{ p50: number; p99: number; p999: number; max: number }> {
  const r = await rig(dir, 'latency', () => undefined);
  const submittedAt = new Float64Array(LATENCY_TASKS);
  const overheads: number[] = [];
  r.dispatcher.events.on('finished', (t) => {
    const i = t.payload['i'] as number;
    overheads.push(performance.now() - submittedAt[i]!);
  });
  // Arrivals paced by a 1 ms timer, each tick submitting every task due by then (~10): the loop
  // rests between ticks, as a server's does between network reads. (Spinning on setImmediate
  // until each task is due would keep the loop 100% busy, which no server under this load is.)
  const t0 = performance.now();
  let submitted = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(LATENCY_TASKS, Math.floor(((performance.now() - t0) / 1000) * LATENCY_RATE_PER_S));
      for (; submitted < due; submitted++) {
        submittedAt[submitted] = performance.now();
        void r.dispatcher.submit(input(submitted));
      }
      if (submitted < LATENCY_TASKS) setTimeout(tick, 1);
      else resolve();
    };
    setTimeout(tick, 1);
  });
  await r.dispatcher.flush();
  await r.close();
  // Drop the first 10% as warm-up.
  const sorted = overheads.slice(Math.floor(overheads.length / 10)).sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted.at(-1) ?? 0,
  };
}

async function queuedHeap(dir: string): Promise<number> {
  const r = await rig(dir, 'heap', () => new Promise(() => undefined), 1);
  await r.dispatcher.submit(input(0)); // occupies the only slot
  const before = await heapUsed();
  const batch = 5_000;
  for (let i = 0; i < QUEUED_TASKS; i += batch) {
    await r.dispatcher.submitMany(Array.from({ length: batch }, (_, k) => input(i + k)));
  }
  await r.dispatcher.flush();
  const after = await heapUsed();
  if (r.dispatcher.stats().queued < QUEUED_TASKS) throw new Error('tasks were not all queued');
  await r.close();
  return (after - before) / QUEUED_TASKS;
}

async function pqueue(n: number, priorities: boolean): Promise<number> {
  const q = new PQueue({ concurrency: 50 });
  const noop = async (): Promise<void> => undefined;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) void q.add(noop, priorities ? { priority: 1 + (i % 5) } : {});
  await q.onIdle();
  return n / ((performance.now() - t0) / 1000);
}

async function pqueueHeap(): Promise<number> {
  const q = new PQueue({ concurrency: 1 });
  void q.add(() => new Promise(() => undefined));
  const before = await heapUsed();
  const payloads = [];
  for (let i = 0; i < QUEUED_TASKS; i++) {
    const payload = { symbol: 'AAPL', qty: 100, i };
    payloads.push(payload);
    void q.add(async () => payload, { priority: 1 + (i % 5) });
  }
  const after = await heapUsed();
  q.clear();
  return (after - before) / QUEUED_TASKS;
}

export async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'conclave-bench-'));
  try {
    // Warm-up both sides.
    const warm = await rig(dir, 'warm', () => undefined);
    await throughput(warm, 20_000);
    await warm.close();
    await pqueue(50_000, true);

    // Each measured phase starts on a collected heap, so none pays for an earlier one's garbage
    // (a mark-compact of the burst's 200k tasks landing in the latency run, say).
    const r = await rig(dir, 'throughput', () => undefined);
    await gc();
    const ours = await throughput(r, THROUGHPUT_TASKS);
    const counts = await r.store.tasks.countByStatus();
    if (counts.completed !== THROUGHPUT_TASKS)
      throw new Error(`expected ${THROUGHPUT_TASKS} completed rows, got ${counts.completed}`);
    await r.close();
    const rw = await rig(dir, 'windowed', () => undefined);
    await gc();
    const oursWindowed = await windowed(rw, THROUGHPUT_TASKS);
    await rw.close();
    await gc();
    const pqWindowed = await pqueueWindowed(THROUGHPUT_TASKS);

    await gc();
    const pqFifo = await pqueue(THROUGHPUT_TASKS, false);
    await gc();
    const pqPrio = await pqueue(THROUGHPUT_TASKS, true);
    await gc();
    const lat = await latency(dir);
    const heapPerTask = await queuedHeap(dir);
    const pqHeapPerTask = await pqueueHeap();

    printTable('dispatch: no-op agents, whole policy stack, every task persisted in SQLite (WAL)', [
      {
        shape: `burst of ${THROUGHPUT_TASKS}`,
        workload: 'conclave',
        'tasks/s': round(ours.tasksPerS),
        'event loop µs/task': round(ours.loopUsPerTask, 2),
        persisted: 'yes',
      },
      {
        shape: `burst of ${THROUGHPUT_TASKS}`,
        workload: 'p-queue c=50 FIFO',
        'tasks/s': round(pqFifo),
        persisted: 'no',
      },
      {
        shape: `burst of ${THROUGHPUT_TASKS}`,
        workload: 'p-queue c=50 priorities',
        'tasks/s': round(pqPrio),
        persisted: 'no',
      },
      { shape: `${WINDOW} callers`, workload: 'conclave', 'tasks/s': round(oursWindowed), persisted: 'yes' },
      {
        shape: `${WINDOW} callers`,
        workload: 'p-queue c=50 priorities',
        'tasks/s': round(pqWindowed),
        persisted: 'no',
      },
    ]);
    printTable(
      `dispatch overhead at a steady ${LATENCY_RATE_PER_S}/s (submit() call → final state, no-op agent)`,
      [
        {
          p50_ms: round(lat.p50, 3),
          p99_ms: round(lat.p99, 3),
          p999_ms: round(lat.p999, 3),
          max_ms: round(lat.max, 3),
        },
      ],
    );
    printTable(`heap per queued task (${QUEUED_TASKS} queued)`, [
      { conclave_bytes: round(heapPerTask), pqueue_bytes: round(pqHeapPerTask) },
    ]);
    console.log(
      JSON.stringify({
        bench: 'dispatch',
        tasks_per_s: round(ours.tasksPerS),
        loop_us_per_task: round(ours.loopUsPerTask, 2),
        p50_ms: round(lat.p50, 3),
        p99_ms: round(lat.p99, 3),
        p999_ms: round(lat.p999, 3),
        max_ms: round(lat.max, 3),
        heap_bytes_per_task: round(heapPerTask),
        pqueue_fifo_tasks_per_s: round(pqFifo),
        pqueue_priority_tasks_per_s: round(pqPrio),
        ratio_vs_pqueue: round(ours.tasksPerS / pqPrio, 2),
        ratio_vs_pqueue_fifo: round(ours.tasksPerS / pqFifo, 2),
        windowed_tasks_per_s: round(oursWindowed),
        pqueue_windowed_tasks_per_s: round(pqWindowed),
        ratio_vs_pqueue_windowed: round(oursWindowed / pqWindowed, 2),
        pqueue_heap_bytes_per_task: round(pqHeapPerTask),
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
