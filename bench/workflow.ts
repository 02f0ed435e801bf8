/**
 * workflow: workflows of 10 task steps in a chain (each through the dispatcher to an in-process
 * no-op agent), every transition journaled to a SQLite file (WAL) before it is acted on. Reports
 * workflows/s and journaled step transitions/s for a batch of concurrent workflows, and the start
 * latency — `start()` called → the first step's agent invoked — at a steady rate.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConclave, type Conclave } from '../src/conclave.ts';
import { loadConfig } from '../src/core/config.ts';
import type { StepDefinition, WorkflowDefinition } from '../src/workflow/index.ts';
import { percentile, printTable, round } from './support.ts';

const STEPS = 10;
const THROUGHPUT_WORKFLOWS = 4_000;
/** Start latency is measured at two steady rates: a busy desk, and a stress level. */
const LATENCY_RATES_PER_S = [100, 500] as const;
const LATENCY_SECONDS = 4;

function definition(): WorkflowDefinition {
  const steps: StepDefinition[] = [];
  for (let i = 0; i < STEPS; i++) {
    steps.push({
      id: `s${i}`,
      kind: 'task',
      pattern: 'noop.run',
      payload: { k: { $from: 'input.k' }, step: i },
      ...(i === 0 ? {} : { dependsOn: [`s${i - 1}`] }),
    });
  }
  return { name: 'ten_steps', steps };
}

async function conclave(
  dir: string,
  name: string,
  onCall: (k: number, step: number) => void,
): Promise<Conclave> {
  const config = loadConfig({
    path: '/dev/null',
    env: {},
    overrides: {
      log: { level: 'silent' },
      store: { sqlite_path: join(dir, `${name}.db`) },
      dispatcher: {
        max_queue_size: 1_000_000,
        rate_limiting: { default_rate_per_minute: 1e12, burst_size: 1e6 },
      },
      workflows: { max_concurrent_workflows: 1_000, max_queued_workflows: 100_000 },
    },
  });
  const c = await createConclave(config);
  for (let i = 0; i < 2; i++) {
    c.registerInprocAgent({
      name: `noop-${i}`,
      capabilities: ['noop.run'],
      maxConnections: 10_000,
      handler: (req) => {
        onCall(req.payload['k'] as number, req.payload['step'] as number);
        return { ok: true };
      },
    });
  }
  c.workflows.register(definition());
  await c.start();
  return c;
}

async function throughput(
  dir: string,
): Promise<{ workflowsPerS: number; transitionsPerS: number; ms: number }> {
  const c = await conclave(dir, 'throughput', () => undefined);
  // Warm-up.
  await Promise.all(
    Array.from({ length: 200 }, async (_, k) =>
      c.workflows.wait(await c.workflows.start('ten_steps', { k })),
    ),
  );
  const t0 = performance.now();
  const ids = await Promise.all(
    Array.from({ length: THROUGHPUT_WORKFLOWS }, (_, k) => c.workflows.start('ten_steps', { k })),
  );
  const runs = await Promise.all(ids.map((id) => c.workflows.wait(id)));
  const ms = performance.now() - t0;
  const failed = runs.filter((r) => r.status !== 'completed');
  if (failed.length > 0) throw new Error(`${failed.length} workflows did not complete`);
  // Step transitions journaled: scheduled, started and completed for every step.
  const events = await c.store.workflows.events(ids[0]!);
  const stepEvents = events.filter((e) => e.stepId !== null).length;
  await c.close(0);
  const workflowsPerS = THROUGHPUT_WORKFLOWS / (ms / 1000);
  return { workflowsPerS, transitionsPerS: workflowsPerS * stepEvents, ms };
}

async function startLatency(dir: string, ratePerS: number): Promise<{ p50: number; p99: number }> {
  const count = ratePerS * LATENCY_SECONDS;
  const startedAt = new Float64Array(count);
  const latencies: number[] = [];
  const c = await conclave(dir, `latency-${ratePerS}`, (k, step) => {
    if (step === 0) latencies.push(performance.now() - startedAt[k]!);
  });
  const intervalMs = 1000 / ratePerS;
  const t0 = performance.now();
  const ids: Promise<string>[] = [];
  for (let k = 0; k < count; k++) {
    const due = t0 + k * intervalMs;
    while (performance.now() < due) await new Promise((res) => setImmediate(res));
    startedAt[k] = performance.now();
    ids.push(c.workflows.start('ten_steps', { k }));
  }
  await Promise.all((await Promise.all(ids)).map((id) => c.workflows.wait(id)));
  await c.close(0);
  const sorted = latencies.slice(Math.floor(latencies.length / 10)).sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

export async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'conclave-bench-wf-'));
  try {
    const t = await throughput(dir);
    const [busy, stress] = [
      await startLatency(dir, LATENCY_RATES_PER_S[0]),
      await startLatency(dir, LATENCY_RATES_PER_S[1]),
    ];
    printTable(`workflow: ${STEPS}-step chains of no-op task steps, journaled to SQLite (WAL)`, [
      {
        workflows: THROUGHPUT_WORKFLOWS,
        'workflows/s': round(t.workflowsPerS),
        'step transitions/s': round(t.transitionsPerS),
      },
    ]);
    printTable(`start latency (start() → first step's agent called) at a steady rate`, [
      { 'workflows/s': LATENCY_RATES_PER_S[0], p50_ms: round(busy.p50, 3), p99_ms: round(busy.p99, 3) },
      { 'workflows/s': LATENCY_RATES_PER_S[1], p50_ms: round(stress.p50, 3), p99_ms: round(stress.p99, 3) },
    ]);
    console.log(
      JSON.stringify({
        bench: 'workflow',
        steps_per_workflow: STEPS,
        workflows_per_s: round(t.workflowsPerS),
        step_transitions_per_s: round(t.transitionsPerS),
        start_p50_ms: round(busy.p50, 3),
        start_p99_ms: round(busy.p99, 3),
        start_rate_per_s: LATENCY_RATES_PER_S[0],
        start_p50_ms_at_500: round(stress.p50, 3),
        start_p99_ms_at_500: round(stress.p99, 3),
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
