/**
 * http: POST /orchestrate through the whole API (Fastify, zod validation, the error handler, the
 * dispatcher with a no-op in-process agent, the task durably queued in a SQLite file before 202),
 * loaded by autocannon in a separate process. Baseline in the same run: a bare Fastify endpoint
 * validating the same body with the same zod schema and answering 202 with no work behind it.
 * Also: the resident memory of the main job after start — the process `npm start` runs (the
 * compiled CLI, on the embedded defaults: built-in agents and the live feed), read from /proc once
 * /health answers and the feed has run for a few seconds — and the memory each queued task holds
 * (100k tasks queued on an agent that never answers). Where the time goes:
 * `node --cpu-prof --expose-gc --import tsx bench/run.ts http`.
 *
 * The two endpoints are loaded in alternating rounds (Conclave, bare, Conclave, bare, …) and
 * each side's rate is the mean over its rounds: this machine's speed drifts by ±15% within a
 * minute, and back-to-back single runs put all of a drift on one side of the ratio.
 *
 * Arguments: `--connections N` (default 50), `--seconds N` per endpoint over all its rounds
 * (default 16; rounded to whole seconds per round), `--rounds N` (default 4), `--api-only` (load POST /orchestrate alone, for a CPU
 * profile of that path).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { createConclave, type Conclave } from '../src/conclave.ts';
import { loadConfig } from '../src/core/config.ts';
import { buildApp } from '../src/server/index.ts';
import { orchestrateBodySchema } from '../src/server/routes/orchestrate.ts';
import { openSqliteStore } from '../src/store/index.ts';
import { freePort, gc, printTable, round } from './support.ts';

const QUEUED_TASKS = 100_000;
const WARMUP_SECONDS = 3;
/** The pause before each load, after the previous one's tasks are written. */
const SETTLE_BETWEEN_ROUNDS_MS = 250;
const TARGETS = { reqPerS: 20_000, ratio: 0.6, p99Ms: 5, rssMb: 150, bytesPerQueuedTask: 1024 };
const BODY = JSON.stringify({
  pattern: 'noop',
  payload: { symbol: 'AAPL', qty: 100, side: 'buy' },
  priority: 3,
});
const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
/** How long the main job runs (live feed and all) before its memory is read. */
const SETTLE_MS = 5_000;
const autocannonCli = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

interface Load {
  reqPerS: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

function yes(met: boolean): string {
  return met ? 'yes' : 'NO';
}

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i < 0 ? undefined : Number(args[i + 1]);
  return value === undefined || !Number.isFinite(value) || value <= 0 ? fallback : value;
}

/** autocannon in its own process, so the load generator does not share the server's event loop. */
async function autocannon(url: string, connections: number, seconds: number): Promise<Load> {
  const { stdout } = await run(
    process.execPath,
    [
      autocannonCli,
      '-j',
      '-c',
      String(connections),
      '-d',
      String(seconds),
      '-m',
      'POST',
      '-H',
      'content-type=application/json',
      '-b',
      BODY,
      url,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const r = JSON.parse(stdout) as {
    requests: { average: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
  };
  return {
    reqPerS: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

/** One endpoint's rounds combined: mean rate, median p50 and p99, the worst round's p99. */
interface Side extends Load {
  p99MaxMs: number;
  roundReqPerS: number[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function combine(loads: readonly Load[]): Side {
  return {
    reqPerS: loads.reduce((sum, l) => sum + l.reqPerS, 0) / loads.length,
    p50Ms: median(loads.map((l) => l.p50Ms)),
    p99Ms: median(loads.map((l) => l.p99Ms)),
    p99MaxMs: Math.max(...loads.map((l) => l.p99Ms)),
    non2xx: loads.reduce((sum, l) => sum + l.non2xx, 0),
    errors: loads.reduce((sum, l) => sum + l.errors, 0),
    roundReqPerS: loads.map((l) => l.reqPerS),
  };
}

/**
 * Warms each URL up, then loads them in turn, `rounds` times, `perRound` seconds each time: in
 * the order given, then reversed (A B, B A, A B, …), so neither side always follows the other.
 * `settle` runs before every load: what one endpoint's load left behind (tasks still being
 * written) is dealt with before the next one is timed.
 */
async function measure(
  urls: readonly string[],
  connections: number,
  perRound: number,
  rounds: number,
  settle: () => Promise<void>,
): Promise<Side[]> {
  for (const url of urls) {
    await settle();
    await autocannon(url, connections, WARMUP_SECONDS);
  }
  const loads: Load[][] = urls.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const order = [...urls.keys()];
    if (r % 2 === 1) order.reverse();
    for (const i of order) {
      await settle();
      loads[i]!.push(await autocannon(urls[i]!, connections, perRound));
    }
  }
  return loads.map(combine);
}

async function openConclave(dir: string): Promise<Conclave> {
  const config = loadConfig({
    path: '/dev/null',
    env: {},
    overrides: {
      log: { level: 'silent' },
      trading: { builtin_agents: false, live_feed: { enabled: false } },
      dispatcher: {
        max_queue_size: 1_000_000,
        rate_limiting: { default_rate_per_minute: 1e12, burst_size: 1_000_000 },
      },
      routing_rules: [
        { pattern: 'noop', capability: 'noop.run', timeout: 30 },
        { pattern: 'hold', capability: 'hold.run', timeout: 3600, max_retries: 0 },
      ],
    },
  });
  const store = await openSqliteStore({ path: join(dir, 'conclave.db') });
  const conclave = await createConclave(config, { store });
  conclave.registerInprocAgent({
    name: 'noop',
    capabilities: ['noop.run'],
    maxConnections: 10_000,
    handler: () => ({}),
  });
  conclave.registerInprocAgent({
    name: 'holder',
    capabilities: ['hold.run'],
    maxConnections: 1,
    handler: (_req, signal) =>
      new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason as Error)),
      ),
  });
  await conclave.start();
  return conclave;
}

/** The baseline: the same body schema through the same type provider, answering a fixed 202. */
async function bareServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.post('/orchestrate', { schema: { body: orchestrateBodySchema } }, (request, reply) =>
    reply.code(202).send({ task_id: 'task_0', status: 'queued', pattern: request.body.pattern }),
  );
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `${address}/orchestrate`, close: () => app.close() };
}

/**
 * Builds the CLI as `npm start` does (its `prestart`), starts it in `dir` on the embedded
 * defaults, waits for /health and {@link SETTLE_MS}, and reads its resident set (Linux /proc).
 */
async function mainJobRssMb(dir: string): Promise<number> {
  await run('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT });
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CONCLAVE_')) env[k] = v;
  const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/cli/main.js'), 'start'], {
    cwd: dir,
    env: { ...env, CONCLAVE_PORT: String(port), CONCLAVE_DATA_DIR: dir, CONCLAVE_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  // Made at once, so an exit before the wait below still settles it.
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('the main job did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    if (!Number.isFinite(kb)) throw new Error('no VmRSS in /proc status');
    return kb / 1024;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  }
}

/** Heap and RSS held per task while {@link QUEUED_TASKS} wait for an agent that never answers. */
async function queuedMemory(conclave: Conclave): Promise<{ heapBytes: number; rssBytes: number }> {
  await conclave.dispatcher.flush();
  await gc();
  const before = process.memoryUsage();
  const submits: Promise<unknown>[] = [];
  for (let i = 0; i < QUEUED_TASKS; i++) {
    submits.push(conclave.dispatcher.submit({ pattern: 'hold', payload: { symbol: 'AAPL', qty: 100, i } }));
  }
  await Promise.all(submits);
  // What the submits returned (a copy of each task's record) is the caller's, not what Conclave
  // holds per queued task: let it go before measuring.
  submits.length = 0;
  await conclave.dispatcher.flush();
  await gc();
  const after = process.memoryUsage();
  const queued = conclave.dispatcher.stats().queued;
  if (queued < QUEUED_TASKS - 1) throw new Error(`expected ${QUEUED_TASKS} queued tasks, found ${queued}`);
  return {
    heapBytes: (after.heapUsed - before.heapUsed) / queued,
    rssBytes: (after.rss - before.rss) / queued,
  };
}

/** Runs the benchmark; see the file comment for the arguments. */
export async function main(args: string[]): Promise<void> {
  const connections = arg(args, 'connections', 50);
  const rounds = Math.round(arg(args, 'rounds', 4));
  const perRound = Math.max(1, Math.round(arg(args, 'seconds', 16) / rounds));
  const seconds = perRound * rounds;
  const dir = mkdtempSync(join(tmpdir(), 'conclave-bench-http-'));
  try {
    const conclave = await openConclave(dir);
    const app = buildApp(conclave, { env: {} });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const apiUrl = `${address}/orchestrate`;
    // Tasks still being written are finished, and the writer and checkpointer threads given a
    // moment, before the next load. No forced GC: a full collection shrinks the young generation,
    // and the round after it starts with extra scavenges (p99 6-6.5 ms against 4 ms without).
    const settle = async (): Promise<void> => {
      await conclave.dispatcher.flush();
      await new Promise((resolve) => setTimeout(resolve, SETTLE_BETWEEN_ROUNDS_MS));
    };

    if (args.includes('--api-only')) {
      const [only] = await measure([apiUrl], connections, perRound, rounds, settle);
      await app.close();
      await conclave.close(0);
      console.log(
        JSON.stringify({
          bench: 'http',
          api_only: true,
          req_per_s: round(only!.reqPerS),
          p99_ms: only!.p99Ms,
        }),
      );
      return;
    }
    const bare = await bareServer();
    const [api, baseline] = (await measure([apiUrl, bare.url], connections, perRound, rounds, settle)) as [
      Side,
      Side,
    ];
    await bare.close();
    const perTask = await queuedMemory(conclave);
    await app.close();
    await conclave.close(0);
    const rssAfterStartMb = await mainJobRssMb(dir);

    const ratio = api.reqPerS / baseline.reqPerS;
    printTable(
      `http: POST /orchestrate, ${connections} connections, ${rounds} alternating rounds, ${seconds} s per endpoint (after ${WARMUP_SECONDS} s warm-up); p50/p99: median round`,
      [
        {
          endpoint: 'conclave POST /orchestrate',
          'req/s': round(api.reqPerS),
          'p50 ms': api.p50Ms,
          'p99 ms': api.p99Ms,
          'worst round p99 ms': api.p99MaxMs,
          'req/s by round': api.roundReqPerS.map((v) => round(v)).join(' '),
          non2xx: api.non2xx,
          errors: api.errors,
        },
        {
          endpoint: 'bare Fastify + zod',
          'req/s': round(baseline.reqPerS),
          'p50 ms': baseline.p50Ms,
          'p99 ms': baseline.p99Ms,
          'worst round p99 ms': baseline.p99MaxMs,
          'req/s by round': baseline.roundReqPerS.map((v) => round(v)).join(' '),
          non2xx: baseline.non2xx,
          errors: baseline.errors,
        },
      ],
    );
    const rows = [
      {
        figure: 'req/s',
        value: round(api.reqPerS),
        target: `>= ${TARGETS.reqPerS}`,
        met: yes(api.reqPerS >= TARGETS.reqPerS),
      },
      {
        figure: 'ratio vs bare',
        value: round(ratio, 2),
        target: `>= ${TARGETS.ratio}`,
        met: yes(ratio >= TARGETS.ratio),
      },
      {
        figure: 'p99 ms',
        value: api.p99Ms,
        target: `<= ${TARGETS.p99Ms}`,
        met: yes(api.p99Ms <= TARGETS.p99Ms),
      },
      {
        figure: 'main job RSS after start MB',
        value: round(rssAfterStartMb, 1),
        target: `<= ${TARGETS.rssMb}`,
        met: yes(rssAfterStartMb <= TARGETS.rssMb),
      },
      {
        figure: 'heap bytes/queued task',
        value: round(perTask.heapBytes),
        target: `<= ${TARGETS.bytesPerQueuedTask}`,
        met: yes(perTask.heapBytes <= TARGETS.bytesPerQueuedTask),
      },
      {
        figure: 'RSS bytes/queued task',
        value: round(perTask.rssBytes),
        target: `<= ${TARGETS.bytesPerQueuedTask}`,
        met: yes(perTask.rssBytes <= TARGETS.bytesPerQueuedTask),
      },
    ];
    printTable('http: targets', rows);
    console.log(
      JSON.stringify({
        bench: 'http',
        connections,
        seconds,
        rounds,
        req_per_s: round(api.reqPerS),
        p50_ms: api.p50Ms,
        p99_ms: api.p99Ms,
        p99_max_ms: api.p99MaxMs,
        non2xx: api.non2xx,
        bare_req_per_s: round(baseline.reqPerS),
        bare_p99_ms: baseline.p99Ms,
        ratio_vs_bare: round(ratio, 3),
        round_ratios: api.roundReqPerS.map((v, i) => round(v / baseline.roundReqPerS[i]!, 3)),
        rss_after_start_mb: round(rssAfterStartMb, 1),
        heap_bytes_per_queued_task: round(perTask.heapBytes),
        rss_bytes_per_queued_task: round(perTask.rssBytes),
        targets_met: rows.every((r) => r.met === 'yes'),
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
