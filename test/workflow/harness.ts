import { flushMicrotasks } from '../../src/core/clock.ts';
import type { ManualClock } from '../../src/core/clock.ts';
import type { Store } from '../../src/store/store.ts';
import {
  WorkflowEngine,
  compileWorkflowEngineOptions,
  type ProgressUpdate,
  type RunRecord,
  type WorkflowEngineOptions,
} from '../../src/workflow/index.ts';
import { makeHarness, type Harness } from '../dispatch/harness.ts';

/** A dispatcher harness plus a workflow engine on the same ManualClock and store. */
export interface EngineHarness extends Harness {
  engine: WorkflowEngine;
  published: { subject: string; data: unknown }[];
  progress: ProgressUpdate['progress_update'][];
  /** Lets journal commits and promise callbacks run (no clock time passes). */
  settle(turns?: number): Promise<void>;
  /** Settles, advancing the clock by `stepMs` between rounds, until the run has ended. */
  finish(runId: string, stepMs?: number, rounds?: number): Promise<RunRecord>;
}

/** Test defaults: no step retries, generous timeouts, no progress throttling. */
export function engineOptions(overrides: Partial<WorkflowEngineOptions> = {}): WorkflowEngineOptions {
  return {
    ...compileWorkflowEngineOptions(),
    defaultRetry: { maxRetries: 0, delayMs: 1000, backoffMultiplier: 2 },
    progressUpdateIntervalMs: 0,
    ...overrides,
  };
}

/** Builds an engine over a dispatcher on a ManualClock and an in-memory SQLite store (or an existing one). */
export async function makeEngine(
  overrides: Partial<WorkflowEngineOptions> = {},
  existing?: { store: Store; clock: ManualClock },
): Promise<EngineHarness> {
  const h = await makeHarness({}, [], existing);
  const published: EngineHarness['published'] = [];
  const engine = new WorkflowEngine(engineOptions(overrides), {
    dispatcher: h.dispatcher,
    store: h.store,
    clock: h.clock,
    bus: {
      publish: (subject, data) => {
        published.push({ subject, data });
        return Promise.resolve();
      },
    },
    hasPattern: (p) => h.registry.byCapability(p).length > 0,
  });
  const progress: ProgressUpdate['progress_update'][] = [];
  engine.events.on('progress', (u) => progress.push(u.progress_update));
  const settle = async (turns = 30): Promise<void> => {
    for (let i = 0; i < turns; i++) await flushMicrotasks();
  };
  const finish = async (runId: string, stepMs = 1000, rounds = 200): Promise<RunRecord> => {
    let done: RunRecord | undefined;
    void engine.wait(runId).then((r) => (done = r));
    for (let i = 0; i < rounds && done === undefined; i++) {
      await settle();
      if (done === undefined) await h.clock.advance(stepMs);
    }
    await settle();
    if (done === undefined) throw new Error(`run ${runId} did not finish`);
    return done;
  };
  return {
    ...h,
    engine,
    published,
    progress,
    settle,
    finish,
    close: async () => {
      await engine.close();
      await h.close();
    },
  };
}
