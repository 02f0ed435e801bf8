/**
 * coordination: the signal coordinator's fan-in on the MemoryBus. Three agents (momentum, risk,
 * correlation) per corr_id through `ingest`, the weighted policy, the documents' routing rules,
 * fan-out to every sink, and each decision's audit entry persisted to a SQLite file (WAL).
 * Reports signals/s and decisions/s for a burst, and the latency from the last required signal
 * ingested to the decision published on `orchestrated.decision`, one correlation at a time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MemoryBus } from '../src/bus/index.ts';
import {
  compileRoutingRules,
  createRouter,
  createWeightedPolicy,
  DEFAULT_ROUTING_RULES,
  SignalCoordinator,
  type EnrichedSignal,
} from '../src/coordination/index.ts';
import { systemClock } from '../src/core/clock.ts';
import { MemoryState } from '../src/state/index.ts';
import { openSqliteStore } from '../src/store/index.ts';
import { percentile, printTable, round } from './support.ts';

const THROUGHPUT_CORRELATIONS = 30_000;
/** Correlations in flight at once in the burst. */
const WINDOW = 500;
const LATENCY_CORRELATIONS = 5_000;
const WARMUP_CORRELATIONS = 2_000;

/**
 * One correlation's three enriched signals, each an object literal as an agent builds it (or as
 * JSON decoding makes it). Not `{ ...base, … }`: on Node 20 an object literal that starts with a
 * spread gets a hidden class of its own once warm, and signals made so cost the coordinator ~2x
 * in property lookups, enum caches and GC (see bench/RESULTS.md).
 */
function signals(corrId: string): [EnrichedSignal, EnrichedSignal, EnrichedSignal] {
  const source = {
    corr_id: corrId,
    instrument: 'AAPL',
    timestamp: '2026-01-02T03:04:05.000Z',
    source: 'webhook',
    signal_type: 'price_update',
    payload: { price: 101.5 },
  };
  const enriched = (agent: string, analysis: Record<string, unknown>): EnrichedSignal => ({
    corr_id: corrId,
    agent_name: agent,
    agent_version: '1.2.0',
    enriched_at: '2026-01-02T03:04:06.000Z',
    analysis,
    source_signal: source,
  });
  return [
    enriched('momentum', { trend_direction: 'up', momentum_strength: 0.8, confidence: 0.9 }),
    enriched('risk', { risk_level: 'low', overall_score: 0.2, position_sizing: { recommended_size: 100 } }),
    enriched('correlation', { portfolio_impact: 0.3 }),
  ];
}

/** Runs the benchmark (see the file comment). */
export async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'conclave-coordination-'));
  const bus = new MemoryBus();
  const state = new MemoryState();
  const store = await openSqliteStore({ path: join(dir, 'audit.db') });
  const coordinator = new SignalCoordinator(
    { fanIn: { profile: 'workflow' }, idempotencyTtlMs: 3_600_000 },
    {
      bus,
      state,
      store,
      clock: systemClock,
      policy: createWeightedPolicy(),
      router: createRouter(compileRoutingRules(DEFAULT_ROUTING_RULES)),
    },
  );
  const lastIngestedAt = new Map<string, number>();
  const latencies: number[] = [];
  bus.subscribe('orchestrated.decision', (msg) => {
    const id = (msg.data as { corr_id: string }).corr_id;
    const t0 = lastIngestedAt.get(id);
    if (t0 !== undefined) latencies.push(performance.now() - t0);
  });
  try {
    /**
     * `WINDOW` callers, each feeding one correlation's three signals at a time: a sliding window.
     * The signals are built before the clock starts: what is timed is the coordinator's work.
     */
    const burst = async (prefix: string, count: number): Promise<{ seconds: number; busyMs: number }> => {
      const inputs = Array.from({ length: count }, (_, j) => signals(`${prefix}${j}`));
      const started = performance.now();
      const elu = performance.eventLoopUtilization();
      let next = 0;
      const caller = async (): Promise<void> => {
        for (let j = next++; j < count; j = next++) {
          const [m, r, c] = inputs[j]!;
          await Promise.all([coordinator.ingest(m), coordinator.ingest(r), coordinator.ingest(c)]);
        }
      };
      await Promise.all(Array.from({ length: WINDOW }, caller));
      const busyMs = performance.eventLoopUtilization(elu).active;
      return { seconds: (performance.now() - started) / 1000, busyMs };
    };
    await burst('warm', WARMUP_CORRELATIONS);
    const before = coordinator.stats().decisions;
    const { seconds, busyMs } = await burst('burst', THROUGHPUT_CORRELATIONS);
    /** Event-loop time per signal: steadier than wall time on a shared machine. */
    const loopUsPerSignal = (busyMs * 1000) / (3 * THROUGHPUT_CORRELATIONS);
    const burstDecisions = coordinator.stats().decisions - before;
    const signalsPerS = (3 * THROUGHPUT_CORRELATIONS) / seconds;
    const decisionsPerS = THROUGHPUT_CORRELATIONS / seconds;

    for (let i = 0; i < LATENCY_CORRELATIONS; i++) {
      const [m, r, c] = signals(`lat${i}`);
      await coordinator.ingest(m);
      await coordinator.ingest(r);
      lastIngestedAt.set(`lat${i}`, performance.now());
      await coordinator.ingest(c);
    }
    latencies.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const audited = (await store.audit.list({ kind: 'decision', limit: 1 })).length;

    printTable(
      `coordination burst: ${THROUGHPUT_CORRELATIONS} corr_ids × 3 agents, ${WINDOW} in flight, audit to SQLite file`,
      [
        {
          'signals/s': round(signalsPerS),
          'decisions/s': round(decisionsPerS),
          'event loop µs/signal': round(loopUsPerSignal, 2),
          decisions: burstDecisions,
          audited: audited > 0 ? 'yes' : 'no',
        },
      ],
    );
    printTable(
      `last required signal ingested → decision published (${latencies.length} corr_ids, one at a time)`,
      [{ p50_ms: round(p50, 3), p99_ms: round(p99, 3) }],
    );
    console.log(
      JSON.stringify({
        bench: 'coordination',
        signals_per_s: round(signalsPerS),
        decisions_per_s: round(decisionsPerS),
        loop_us_per_signal: round(loopUsPerSignal, 2),
        p50_ms: round(p50, 3),
        p99_ms: round(p99, 3),
        target_signals_per_s: 60_000,
        target_p99_ms: 1,
      }),
    );
  } finally {
    await coordinator.close();
    await bus.close();
    await state.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
