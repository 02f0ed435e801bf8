/**
 * Run by hidden-classes.test.ts as `node --allow-natives-syntax --import tsx <this file>`: feeds
 * the coordinator warm (as a long-running process is) and prints, for each kind of object it
 * publishes, whether two consecutive ones share a V8 hidden class.
 */
import { MemoryBus } from '../../src/bus/index.ts';
import {
  compileRoutingRules,
  createRouter,
  createRulePolicy,
  createWeightedPolicy,
  DEFAULT_ROUTING_RULES,
  SignalCoordinator,
  type EnrichedSignal,
} from '../../src/coordination/index.ts';
import { systemClock } from '../../src/core/clock.ts';
import { MemoryState } from '../../src/state/index.ts';
import { openSqliteStore } from '../../src/store/index.ts';
import { toEnrichedSignal } from '../../src/trading/agents/index.ts';

// eslint-disable-next-line @typescript-eslint/no-implied-eval -- V8's own probe, only under --allow-natives-syntax
const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: unknown, b: unknown) => boolean;

function signals(corrId: string): EnrichedSignal[] {
  const source = {
    corr_id: corrId,
    instrument: 'AAPL',
    timestamp: '2026-01-02T03:04:05.000Z',
    source: 'webhook',
    signal_type: 'price_update',
    payload: { price: 101.5 },
  };
  const at = '2026-01-02T03:04:06.000Z';
  return [
    toEnrichedSignal(
      'momentum',
      '1.0.0',
      { trend_direction: 'up', momentum_strength: 0.8, confidence: 0.9 },
      source,
      at,
    ),
    toEnrichedSignal(
      'risk',
      '1.0.0',
      { risk_level: 'low', overall_score: 0.2, position_sizing: { recommended_size: 100 } },
      source,
      at,
    ),
    toEnrichedSignal('correlation', '1.0.0', { portfolio_impact: 0.3 }, source, at),
  ];
}

const report: Record<string, boolean> = {};
for (const [name, policy] of [
  ['weighted', createWeightedPolicy()],
  ['rule', createRulePolicy()],
] as const) {
  const bus = new MemoryBus();
  const store = await openSqliteStore({ path: ':memory:' });
  const coordinator = new SignalCoordinator(
    { fanIn: { profile: 'workflow' }, idempotencyTtlMs: 3_600_000 },
    {
      bus,
      state: new MemoryState(),
      store,
      clock: systemClock,
      policy,
      router: createRouter(compileRoutingRules(DEFAULT_ROUTING_RULES)),
    },
  );
  const last: Record<string, unknown[]> = {};
  const keep = (kind: string, value: unknown): void => {
    const seen = (last[kind] ??= []);
    seen.push(value);
    if (seen.length > 2) seen.shift();
  };
  for (const subject of ['orchestrated.decision', 'audit.orchestration.decision', 'risk.monitor.decision']) {
    bus.subscribe(subject, (msg) => {
      keep(`${subject} message`, msg);
      keep(`${subject} headers`, msg.headers);
      keep(`${subject} data`, msg.data);
    });
  }
  let lastSignals: EnrichedSignal[] = [];
  for (let i = 0; i < 3000; i++) {
    lastSignals = signals(`c${i}`);
    for (const s of lastSignals) await coordinator.ingest(s);
    keep('enriched signal', lastSignals[1]);
    keep('analysis', lastSignals[1]!.analysis);
  }
  for (const [kind, pair] of Object.entries(last)) report[`${name}: ${kind}`] = sameMap(pair[0], pair[1]);
  await coordinator.close();
  await store.close();
}
console.log(JSON.stringify(report));
