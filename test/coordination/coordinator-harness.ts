/** A coordinator on a MemoryBus, MemoryState, in-memory SQLite store and ManualClock, with a message log. */
import type { Bus, BusMessage } from '../../src/bus/bus.ts';
import { MemoryBus } from '../../src/bus/memory-bus.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { SignalCoordinator, type CoordinatorOptions } from '../../src/coordination/coordinator.ts';
import type { DecisionPolicy } from '../../src/coordination/policy.ts';
import { createRulePolicy } from '../../src/coordination/rule-policy.ts';
import {
  compileRoutingRules,
  createRouter,
  DEFAULT_ROUTING_RULES,
} from '../../src/coordination/routing-rules.ts';
import type { Decision, EnrichedSignal } from '../../src/coordination/schemas.ts';
import { MemoryState } from '../../src/state/memory-state.ts';
import { openSqliteStore } from '../../src/store/index.ts';
import type { KyselyStore } from '../../src/store/kysely-store.ts';
import { normalized } from './fixtures.ts';

/** Everything a coordinator test touches. */
export interface Harness {
  readonly clock: ManualClock;
  readonly bus: MemoryBus;
  readonly state: MemoryState;
  readonly store: KyselyStore;
  readonly coordinator: SignalCoordinator;
  /** Every message published, in order. */
  readonly messages: BusMessage[];
  /** Decisions published on `orchestrated.decision`. */
  decisions(): Decision[];
  /** Subjects of messages published for `corrId` (by header). */
  subjectsFor(corrId: string): string[];
  close(): Promise<void>;
}

/** Options for {@link harness}. */
export interface HarnessOptions {
  options?: Partial<CoordinatorOptions>;
  policy?: DecisionPolicy;
  /** Wraps the bus the coordinator publishes on (e.g. to make one subject fail). */
  wrapBus?: (bus: Bus) => Bus;
}

/** Builds a harness; defaults: rule policy, the documents' routing rules, the `simple` profile. */
export async function harness(opts: HarnessOptions = {}): Promise<Harness> {
  const clock = new ManualClock();
  const bus = new MemoryBus({ clock });
  const state = new MemoryState({ clock });
  const store = await openSqliteStore({ path: ':memory:' });
  const messages: BusMessage[] = [];
  bus.subscribe('>', (m) => {
    messages.push(m);
  });
  const coordinator = new SignalCoordinator(
    { fanIn: { profile: 'simple' }, idempotencyTtlMs: 3_600_000, ...opts.options },
    {
      bus: opts.wrapBus ? opts.wrapBus(bus) : bus,
      state,
      store,
      clock,
      policy: opts.policy ?? createRulePolicy(),
      router: createRouter(compileRoutingRules(DEFAULT_ROUTING_RULES)),
    },
  );
  return {
    clock,
    bus,
    state,
    store,
    coordinator,
    messages,
    decisions: () =>
      messages.filter((m) => m.subject === 'orchestrated.decision').map((m) => m.data as Decision),
    subjectsFor: (corrId) =>
      messages.filter((m) => m.headers['conclave-corr-id'] === corrId).map((m) => m.subject),
    close: async () => {
      await coordinator.close();
      await bus.close();
      await state.close();
      await store.close();
    },
  };
}

/** An enriched signal from `agent` for `corrId` on `instrument`. */
export function signal(
  corrId: string,
  agent: string,
  analysis: Record<string, unknown>,
  instrument = 'AAPL',
  signalType = 'price_update',
): EnrichedSignal {
  return {
    corr_id: corrId,
    agent_name: agent,
    agent_version: '1.2.0',
    enriched_at: '2026-01-02T03:04:06.000Z',
    analysis,
    source_signal: { ...normalized(instrument, corrId), signal_type: signalType },
  };
}
