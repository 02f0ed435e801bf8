import type { AgentRequest, InprocHandler } from '../../../src/agents/index.ts';
import { createConclave, type Conclave } from '../../../src/conclave.ts';
import { ManualClock, flushMicrotasks } from '../../../src/core/clock.ts';
import { loadConfig } from '../../../src/core/config.ts';
import { openSqliteStore } from '../../../src/store/index.ts';
import type { ProgressUpdate, RunRecord } from '../../../src/workflow/index.ts';

/** A held call: the test decides when (and whether) it answers. */
export interface Gate {
  release(result?: unknown): void;
}

/** What each test agent answers, by pattern; override per test. */
export type Behaviour = Record<string, InprocHandler>;

/** The default trading-layer agents' answers. */
export function defaultBehaviour(): Behaviour {
  return {
    'discovery.restart': (req) => ({ restarted: true, strategy: req.payload['strategy'] ?? null }),
    'market_data.validate_source': (req) => ({ source: req.payload['source'] ?? null, valid: true }),
    'market_data.configure': (req) => ({ configured: req.payload['chain'] ?? null }),
    'algorithms.reload': (req) => ({ reloaded: 3, source_chain: req.payload['source_chain'] ?? null }),
    fetch_market_data: (req) => ({
      symbol: req.payload['symbol'] ?? null,
      bars: [{ c: 1 }, { c: 2 }, { c: 3 }, { c: 4 }, { c: 5 }],
    }),
    'backtest.run': (req) => ({
      strategy: req.payload['strategy'] ?? null,
      sharpe_ratio: req.payload['strategy'] === 'hybrid_v1' ? 1.8 : 0.9,
      total_return: 0.12,
    }),
    'strategy.optimize': (req) => ({ strategy: req.payload['strategy'] ?? null, params: { lookback: 20 } }),
    execute_order: (req) => ({ filled: req.payload['symbol'] ?? null }),
    candidate_discovery: () => ({ candidates: ['AMC'] }),
  };
}

/** A Conclave with in-process test agents for every capability the commands call. */
export interface CommandHarness {
  conclave: Conclave;
  clock: ManualClock;
  behaviour: Behaviour;
  /** Calls received, by pattern. */
  calls: AgentRequest[];
  /** Progress updates, in order. */
  progress: ProgressUpdate['progress_update'][];
  /** A call to `candidate_discovery` that stays in flight until released. */
  holdDiscovery(): Gate;
  settle(turns?: number): Promise<void>;
  /** Settles, advancing the clock by `stepMs` between rounds, until the run has ended. */
  finish(runId: string, stepMs?: number): Promise<RunRecord>;
  /** The step ids of a run's progress updates, as they first became current or completed. */
  stepOrder(runId: string): string[];
  close(): Promise<void>;
}

const AGENTS: { name: string; capabilities: string[] }[] = [
  { name: 'discovery_algorithm_agent', capabilities: ['candidate_discovery'] },
  { name: 'discovery_supervisor', capabilities: ['discovery.restart'] },
  {
    name: 'market_data_agent',
    capabilities: ['market_data.validate_source', 'market_data.configure', 'fetch_market_data'],
  },
  { name: 'algorithm_agent', capabilities: ['algorithms.reload', 'backtest.run', 'strategy.optimize'] },
  { name: 'execution_agent', capabilities: ['execute_order'] },
];

/** Builds the harness on a ManualClock and an in-memory SQLite store, started. */
export async function makeCommandHarness(
  options: { store?: Awaited<ReturnType<typeof openSqliteStore>>; clock?: ManualClock } = {},
): Promise<CommandHarness> {
  const clock = options.clock ?? new ManualClock(Date.UTC(2025, 8, 12, 12, 26));
  const config = loadConfig({
    path: '/dev/null',
    env: {},
    overrides: {
      dispatcher: { error_recovery: { jitter: 0 } },
      workflows: { step_max_retries: 0, progress_update_interval_seconds: 0 },
      commands: { drain_timeout_seconds: 5 },
      log: { level: 'silent' },
    },
  });
  const store = options.store ?? (await openSqliteStore({ path: ':memory:' }));
  const conclave = await createConclave(config, { store, clock });
  const behaviour = defaultBehaviour();
  const calls: AgentRequest[] = [];
  const held: { resolve: (v: unknown) => void }[] = [];
  let holdNext = 0;
  let holds = 0;
  for (const agent of AGENTS) {
    conclave.registerInprocAgent({
      ...agent,
      handler: (req, signal) => {
        calls.push(req);
        if (req.pattern === 'candidate_discovery' && holdNext > 0) {
          holdNext--;
          return new Promise((resolve, reject) => {
            held.push({ resolve });
            signal.addEventListener('abort', () => reject(signal.reason as Error));
          });
        }
        const fn = behaviour[req.pattern];
        return fn === undefined ? null : fn(req, signal);
      },
    });
  }
  const progress: ProgressUpdate['progress_update'][] = [];
  conclave.workflows.events.on('progress', (u) => progress.push(u.progress_update));
  await conclave.start();
  const settle = async (turns = 30): Promise<void> => {
    for (let i = 0; i < turns; i++) await flushMicrotasks();
  };
  return {
    conclave,
    clock,
    behaviour,
    calls,
    progress,
    holdDiscovery: () => {
      holdNext++;
      const index = holds++;
      return { release: (result: unknown = { candidates: [] }) => held[index]?.resolve(result) };
    },
    settle,
    finish: async (runId, stepMs = 250) => {
      let done: RunRecord | undefined;
      void conclave.workflows.wait(runId).then((r) => (done = r));
      for (let i = 0; i < 400 && done === undefined; i++) {
        await settle();
        if (done === undefined) await clock.advance(stepMs);
      }
      await settle();
      if (done === undefined) throw new Error(`run ${runId} did not finish`);
      return done;
    },
    stepOrder: (runId) => {
      const seen: string[] = [];
      for (const u of progress) {
        if (u.workflow_id !== runId) continue;
        for (const s of [
          ...u.details.steps_completed,
          ...(u.current_step === null ? [] : [u.current_step]),
        ]) {
          if (!seen.includes(s)) seen.push(s);
        }
      }
      return seen;
    },
    close: () => conclave.close(0),
  };
}
