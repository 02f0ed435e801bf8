/**
 * distributed: the distributed shape on a private nats-server (JetStream, file storage), Redis
 * and SQLite stores. (1) No-op tasks dispatched by an orchestrator to a remote agent process over
 * NATS (every task persisted): throughput, then end-to-end latency (submit → final state) at a
 * steady 2,000 tasks/s. (2) Enriched signals from two agents joined into decisions by two
 * orchestrator processes sharing the durable consumer and the Redis join: decisions/s and latency
 * (last signal published → decision received). Baselines in the same run: BullMQ on Redis
 * processing the same no-op work, and raw JetStream publish + consume with nats.js.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Queue, Worker } from 'bullmq';
import { startAgent } from '../src/agent-sdk/index.ts';
import { createConclave, type Conclave } from '../src/conclave.ts';
import { loadConfig } from '../src/core/config.ts';
import { createLogger } from '../src/telemetry/index.ts';
import { freePort, percentile, printTable, round } from './support.ts';

const REDIS = { host: '127.0.0.1', port: 6379 };
const TASKS = 20_000;
const WARMUP = 2_000;
const RATE_PER_S = 2_000;
const STEADY_S = 5;
const CORRELATIONS = 10_000;
/** Correlations per second in the steady join (2 signals each): under the join's capacity here. */
const JOIN_RATE_PER_S = 250;
const phase = (what: string): void => void process.stderr.write(`${new Date().toISOString()} ${what}\n`);
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function startNats(dir: string): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], {
    stdio: 'ignore',
  });
  for (let up = false; !up; await pause(25)) {
    up = await new Promise<boolean>((resolve) => {
      const s = createConnection({ port, host: '127.0.0.1' });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
  }
  return { url: `nats://127.0.0.1:${port}`, proc };
}

/** One orchestrator (this process or a child): NATS bus, Redis state, its own SQLite file. */
function orchestrator(url: string, prefix: string, dbPath: string): Promise<Conclave> {
  const config = loadConfig({
    path: '/dev/null',
    env: {},
    overrides: {
      bus: { driver: 'nats', nats: { servers: [url] } },
      state: { driver: 'redis', redis: { url: `redis://${REDIS.host}:${REDIS.port}`, key_prefix: prefix } },
      store: { driver: 'sqlite', sqlite_path: dbPath },
      coordination: { required_agents: ['momentum', 'risk'], min_agents: 2, decision_timeout_seconds: 60 },
      dispatcher: {
        max_queue_size: 1_000_000,
        max_in_flight: 512,
        load_balancing: { max_connections_per_agent: 512 },
        rate_limiting: { default_rate_per_minute: 1e12, burst_size: 1_000_000 },
      },
      routing_rules: [{ pattern: 'noop', capability: 'noop.run', timeout: 30 }],
    },
  });
  return createConclave(config, { logger: createLogger('error') });
}

/** Child roles: `--agent <url>` (a remote no-op agent), `--orchestrator <url> <prefix> <db>`. */
async function child(args: string[]): Promise<void> {
  const [role, url = '', prefix = '', db = ''] = args;
  if (role === '--agent') {
    await startAgent({
      name: 'noop',
      capabilities: ['noop.run'],
      servers: url,
      concurrency: 512,
      handler: () => null,
    });
  } else await (await orchestrator(url, prefix, db)).start();
  process.send?.('ready');
}

function spawnChild(args: string[]): Promise<ChildProcess> {
  const runner = fileURLToPath(new URL('./run.ts', import.meta.url));
  const proc = fork(runner, ['distributed', ...args], { execArgv: ['--expose-gc', '--import', 'tsx'] });
  return new Promise((resolve) => proc.once('message', () => resolve(proc)));
}

interface Latency {
  p50: number;
  p99: number;
}

/** Runs `one(i)` (resolving at its end-to-end completion) at a steady `rate` for `seconds`. */
async function steady(rate: number, seconds: number, one: (i: number) => Promise<void>): Promise<Latency> {
  const n = rate * seconds;
  const ms: number[] = [];
  const all: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / rate;
    if (due - performance.now() > 1) await pause(due - performance.now());
    const start = performance.now();
    all.push(one(i).then(() => void ms.push(performance.now() - start)));
  }
  await Promise.all(all);
  ms.sort((a, b) => a - b);
  return { p50: round(percentile(ms, 50), 2), p99: round(percentile(ms, 99), 2) };
}

/**
 * Submits `n` tasks at once and resolves with tasks/s once every final state is committed.
 * @remarks Completions are counted on the dispatcher's `finished` event, as BullMQ's are on its
 * worker's `completed` event below (a `wait()` per task would read each finished task back from
 * the store, a cost BullMQ's count does not pay).
 */
async function dispatchBurst(c: Conclave, n: number): Promise<number> {
  let finished = 0;
  let allFinished: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (allFinished = resolve));
  const off = c.dispatcher.events.on('finished', () => {
    if (++finished === n) allFinished();
  });
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, () => c.dispatcher.submit({ pattern: 'noop', payload: {} })));
  await all;
  await c.dispatcher.flush();
  off();
  return n / ((performance.now() - t0) / 1000);
}

/** Publishes both agents' signals for `ids`; resolves with decisions/s and per-decision latency. */
async function joinSignals(
  c: Conclave,
  run: string,
  n: number,
  rate?: number,
): Promise<{ perS: number } & Latency> {
  const sent = new Map<string, number>();
  const ms: number[] = [];
  let resolveAll: () => void = () => undefined;
  const all = new Promise<void>((r) => (resolveAll = r));
  const sub = c.bus.subscribe('orchestrated.decision', (m) => {
    const at = sent.get((m.data as { corr_id: string }).corr_id);
    if (at === undefined) return;
    ms.push(performance.now() - at);
    if (ms.length === n) resolveAll();
  });
  const signal = (agent: string, corrId: string, analysis: Record<string, unknown>) => ({
    corr_id: corrId,
    agent_name: agent,
    agent_version: '1.0.0',
    enriched_at: new Date().toISOString(),
    analysis,
    source_signal: {
      corr_id: corrId,
      instrument: 'AAPL',
      timestamp: new Date().toISOString(),
      source: 'bench',
      payload: {},
    },
  });
  const publish = async (i: number): Promise<void> => {
    const id = `${run}-${i}`;
    const m = signal('momentum', id, { trend_direction: 'up', momentum_strength: 0.8, confidence: 0.9 });
    const r = signal('risk', id, {
      risk_level: 'low',
      overall_score: 0.2,
      position_sizing: { recommended_size: 100 },
    });
    await c.bus.publish('signals.enriched.momentum', m, { msgId: `m.${id}` });
    sent.set(id, performance.now());
    await c.bus.publish('signals.enriched.risk', r, { msgId: `r.${id}` });
  };
  const t0 = performance.now();
  if (rate === undefined) {
    for (let i = 0; i < n; i += 500)
      await Promise.all(Array.from({ length: Math.min(500, n - i) }, (_, k) => publish(i + k)));
  } else await steady(rate, n / rate, publish);
  await all;
  const perS = n / ((performance.now() - t0) / 1000);
  await sub.unsubscribe();
  ms.sort((a, b) => a - b);
  return { perS, p50: round(percentile(ms, 50), 2), p99: round(percentile(ms, 99), 2) };
}

/** BullMQ: a queue and a worker (concurrency 100) doing no-op jobs; throughput, then steady latency. */
async function bullmq(): Promise<{ perS: number } & Latency> {
  const name = `bench-${randomUUID()}`;
  const queue = new Queue(name, { connection: REDIS });
  const worker = new Worker(name, async () => null, { connection: REDIS, concurrency: 100 });
  const waiting = new Map<string, () => void>();
  const completed = new Set<string>();
  worker.on('completed', (job) => {
    const id = job.id ?? '';
    const wake = waiting.get(id);
    if (wake === undefined) {
      completed.add(id); // done before its add() call returned
      return;
    }
    waiting.delete(id);
    wake();
  });
  const add = async (): Promise<void> => {
    const id = (await queue.add('noop', {}, { removeOnComplete: true })).id ?? '';
    if (completed.delete(id)) return;
    await new Promise<void>((resolve) => waiting.set(id, resolve));
  };
  await Promise.all(Array.from({ length: WARMUP }, add));
  const t0 = performance.now();
  let done = 0;
  const finished = new Promise<void>((resolve) =>
    worker.on('completed', () => ++done === TASKS && resolve()),
  );
  for (let i = 0; i < TASKS; i += 1000)
    await queue.addBulk(
      Array.from({ length: 1000 }, () => ({ name: 'noop', data: {}, opts: { removeOnComplete: true } })),
    );
  await finished;
  const perS = TASKS / ((performance.now() - t0) / 1000);
  const latency = await steady(RATE_PER_S, STEADY_S, add);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return { perS, ...latency };
}

/** Raw JetStream with nats.js: async publishes, then a pull consumer acking each; then steady latency. */
async function rawJetStream(url: string): Promise<{ publishPerS: number; consumePerS: number } & Latency> {
  const nc = await connect({ servers: url });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'RAW', subjects: ['raw.>'] });
  await jsm.consumers.add('RAW', { durable_name: 'raw', ack_policy: AckPolicy.Explicit });
  const consumer = await js.consumers.get('RAW', 'raw');
  const waiting = new Map<number, () => void>();
  const seen = new Set<number>();
  let consumed = 0;
  const messages = await consumer.consume({ max_messages: 1000 });
  void (async () => {
    for await (const m of messages) {
      m.ack();
      consumed++;
      if (consumed > TASKS) seen.add(m.seq);
      waiting.get(m.seq)?.();
    }
  })();
  const burst = async (n: number): Promise<number> => {
    for (let i = 0; i < n; i += 500)
      await Promise.all(Array.from({ length: Math.min(500, n - i) }, () => js.publish('raw.noop', '{}')));
    return n;
  };
  consumed = 0;
  const t0 = performance.now();
  await burst(TASKS);
  const publishPerS = TASKS / ((performance.now() - t0) / 1000);
  // The consumer runs during the publishes: its rate is end to end, from the first publish.
  while (consumed < TASKS) await pause(1);
  const consumePerS = TASKS / ((performance.now() - t0) / 1000);
  const latency = await steady(RATE_PER_S, STEADY_S, async () => {
    const ack = js.publish('raw.noop', '{}');
    const seq = (await ack).seq;
    if (seen.has(seq)) return; // consumed before the publish's ack came back
    await new Promise<void>((resolve) => waiting.set(seq, resolve));
  });
  await messages.close();
  await nc.close();
  return { publishPerS, consumePerS, ...latency };
}

/** Runs the benchmark (or, given a role, one of its child processes). */
export async function main(args: string[]): Promise<void> {
  if (args.length > 0) return child(args);
  const dir = mkdtempSync(join(tmpdir(), 'conclave-bench-dist-'));
  const nats = await startNats(join(dir, 'nats'));
  const prefix = `bench-${randomUUID()}:`;
  const children = [await spawnChild(['--agent', nats.url])];
  const a = await orchestrator(nats.url, prefix, join(dir, 'a.db'));
  await a.start();
  let last = '';
  children.push(await spawnChild(['--orchestrator', nats.url, prefix, join(dir, 'b.db')]));
  try {
    while (a.registry.get('noop') === undefined) await pause(20);
    phase('dispatch warm-up');
    await dispatchBurst(a, WARMUP);
    const dispatchPerS = await dispatchBurst(a, TASKS);
    phase('dispatch steady');
    const dispatchLatency = await steady(RATE_PER_S, STEADY_S, async () => {
      const t = await a.dispatcher.submit({ pattern: 'noop', payload: {} });
      await a.dispatcher.wait(t.id);
    });
    phase('join warm-up');
    await joinSignals(a, 'warm', WARMUP);
    const joined = await joinSignals(a, 'burst', CORRELATIONS);
    phase('join steady');
    const joinedSteady = await joinSignals(a, 'steady', JOIN_RATE_PER_S * STEADY_S, JOIN_RATE_PER_S);
    phase('bullmq');
    const bull = await bullmq();
    phase('jetstream');
    const raw = await rawJetStream(nats.url);
    const rawPerS = Math.min(raw.publishPerS, raw.consumePerS);
    const figures = {
      bench: 'distributed',
      tasks: TASKS,
      dispatch_tasks_per_s: round(dispatchPerS),
      dispatch_p50_ms_at_2000: dispatchLatency.p50,
      dispatch_p99_ms_at_2000: dispatchLatency.p99,
      join_decisions_per_s: round(joined.perS),
      join_p99_ms_burst: joined.p99,
      join_p50_ms_at_250_per_s: joinedSteady.p50,
      join_p99_ms_at_250_per_s: joinedSteady.p99,
      bullmq_jobs_per_s: round(bull.perS),
      bullmq_p50_ms_at_2000: bull.p50,
      bullmq_p99_ms_at_2000: bull.p99,
      jetstream_publish_per_s: round(raw.publishPerS),
      jetstream_publish_consume_per_s: round(raw.consumePerS),
      jetstream_p99_ms_at_2000: raw.p99,
      dispatch_over_bullmq: round(dispatchPerS / bull.perS, 2),
      dispatch_over_jetstream: round(dispatchPerS / rawPerS, 2),
      join_over_bullmq: round(joined.perS / bull.perS, 2),
    };
    const row = (workload: string, perS: number | string, l: Latency) => ({
      workload,
      'per s': perS,
      'p50 ms steady': l.p50,
      'p99 ms steady': l.p99,
    });
    printTable('distributed (steady: 2,000 tasks/s; join 250 correlations/s)', [
      row('conclave dispatch → remote agent', figures.dispatch_tasks_per_s, dispatchLatency),
      row('conclave join (2 signals → decision)', figures.join_decisions_per_s, joinedSteady),
      row('BullMQ no-op jobs', figures.bullmq_jobs_per_s, bull),
      row(
        'raw JetStream publish / publish+consume',
        `${round(raw.publishPerS)} / ${round(raw.consumePerS)}`,
        raw,
      ),
    ]);
    printTable('ratios (targets: ≥ 2 over BullMQ, ≥ 0.5 of JetStream, p99 ≤ 10 ms at 2,000/s)', [
      { ratio: 'dispatch / BullMQ', value: figures.dispatch_over_bullmq },
      {
        ratio: 'dispatch / raw JetStream (slower of publish, consume)',
        value: figures.dispatch_over_jetstream,
      },
      { ratio: 'join / BullMQ', value: figures.join_over_bullmq },
    ]);
    last = JSON.stringify(figures);
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await a.close(1_000);
    nats.proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(last);
}
