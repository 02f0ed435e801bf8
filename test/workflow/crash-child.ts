/**
 * The process the crash test kills: `node --import tsx test/workflow/crash-child.ts <db> <phase> <log>`.
 * `start` starts 50 workflows and runs until killed; `resume` recovers them, waits until every run
 * has finished, prints a JSON summary and exits. Every step execution appends its idempotency key
 * to `<log>`, so the parent can count executions.
 */
import { appendFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { AgentRegistry, InprocTransport } from '../../src/agents/index.ts';
import { systemClock } from '../../src/core/clock.ts';
import { loadConfig } from '../../src/core/config.ts';
import { Dispatcher, RoutingTable, compileDispatcherOptions } from '../../src/dispatch/index.ts';
import { openSqliteStore } from '../../src/store/index.ts';
import { WorkflowEngine, compileWorkflowEngineOptions } from '../../src/workflow/index.ts';

/** Runs the crash test starts (crash.test.ts expects 5 step executions each). */
const CRASH_RUNS = 50;

const [dbPath, phase, logPath] = process.argv.slice(2);
if (dbPath === undefined || logPath === undefined || (phase !== 'start' && phase !== 'resume')) {
  process.stderr.write('usage: crash-child.ts <db> <start|resume> <log>\n');
  process.exit(2);
}

const store = await openSqliteStore({ path: dbPath });
const config = loadConfig({ path: '/dev/null', env: {} });
const registry = new AgentRegistry({
  clock: systemClock,
  heartbeatIntervalMs: 15_000,
  timeoutThresholdMs: 300_000,
  errorThreshold: 1_000_000,
  errorWindowMs: 60_000,
});
const dispatcher = new Dispatcher(compileDispatcherOptions(config.dispatcher), {
  store,
  registry,
  routing: new RoutingTable([]),
});
const engine = new WorkflowEngine(
  { ...compileWorkflowEngineOptions({ max_concurrent_workflows: 10 }), progressUpdateIntervalMs: 60_000 },
  { dispatcher, store, hasPattern: (p) => registry.byCapability(p).length > 0 },
);

const work =
  (ms: number) =>
  async (key: string, signal?: AbortSignal): Promise<{ key: string }> => {
    // The side effect comes first, so a step killed while in flight has already left its mark.
    appendFileSync(logPath, `${key}\n`);
    await delay(ms, undefined, signal === undefined ? {} : { signal });
    return { key };
  };
const agentWork = work(15);
registry.register({
  name: 'crash-agent',
  capabilities: ['crash.fetch', 'crash.combine'],
  maxConnections: 100,
  transport: new InprocTransport((req, signal) => agentWork(String(req.metadata.idempotency_key), signal)),
});
const builtinWork = work(15);
engine.registerBuiltin('crash.step', (_params, ctx) => builtinWork(ctx.idempotencyKey, ctx.signal));
engine.register({
  name: 'crash_pipeline',
  version: '1',
  steps: [
    { id: 'prep', kind: 'builtin', builtin: 'crash.step' },
    {
      id: 'fetch',
      kind: 'task',
      pattern: 'crash.fetch',
      dependsOn: ['prep'],
      payload: { n: { $from: 'input.n' } },
    },
    { id: 'score', kind: 'builtin', builtin: 'crash.step', dependsOn: ['prep'] },
    { id: 'combine', kind: 'task', pattern: 'crash.combine', dependsOn: ['fetch', 'score'], payload: {} },
    { id: 'report', kind: 'builtin', builtin: 'crash.step', dependsOn: ['combine'] },
  ],
});

if (phase === 'start') {
  for (let n = 0; n < CRASH_RUNS; n++) await engine.start('crash_pipeline', { n });
  process.stdout.write('started\n');
  // Runs until the parent kills it.
  setInterval(() => undefined, 1000);
} else {
  await dispatcher.recover();
  const recovered = await engine.recover();
  for (;;) {
    const { summary } = await engine.getAllWorkflowsStatus();
    if (summary.by_status.queued + summary.by_status.running === 0) {
      process.stdout.write(`${JSON.stringify({ recovered, ...summary.by_status })}\n`);
      break;
    }
    await delay(50);
  }
  await engine.close();
  await dispatcher.close(0);
  await registry.close();
  await store.close();
}
