import { AgentRegistry, InprocTransport, type AgentRequest } from '../../src/agents/index.ts';
import { ManualClock, flushMicrotasks } from '../../src/core/clock.ts';
import { loadConfig, type RoutingRuleConfig } from '../../src/core/config.ts';
import { SeededRandom } from '../../src/core/random.ts';
import {
  Dispatcher,
  RoutingTable,
  compileDispatcherOptions,
  type DispatcherOptions,
} from '../../src/dispatch/index.ts';
import { openSqliteStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/store.ts';

/** Default options for tests: deterministic backoff (no jitter), generous limits. */
export function testOptions(overrides: Partial<DispatcherOptions> = {}): DispatcherOptions {
  const base = compileDispatcherOptions(loadConfig({ path: '/dev/null', env: {} }).dispatcher);
  return {
    ...base,
    backoff: { ...base.backoff, jitter: 0 },
    defaultRateLimit: { ratePerMinute: 6_000_000, burst: 1_000_000 },
    ...overrides,
  };
}

export interface Harness {
  clock: ManualClock;
  store: Store;
  registry: AgentRegistry;
  dispatcher: Dispatcher;
  /** Registers an in-process agent. */
  agent(
    name: string,
    capabilities: string[],
    fn: (req: AgentRequest, signal: AbortSignal) => unknown,
    extra?: { weight?: number; maxConnections?: number },
  ): void;
  /** Lets commits and promise callbacks run (real I/O turns, no time passes on the clock). */
  settle(turns?: number): Promise<void>;
  close(): Promise<void>;
}

/** Builds a dispatcher on a ManualClock and an in-memory SQLite store. */
export async function makeHarness(
  options: Partial<DispatcherOptions> = {},
  rules: RoutingRuleConfig[] = [],
  existing?: { store: Store; clock: ManualClock },
): Promise<Harness> {
  const clock = existing?.clock ?? new ManualClock();
  const store = existing?.store ?? (await openSqliteStore({ path: ':memory:' }));
  const registry = new AgentRegistry({
    clock,
    heartbeatIntervalMs: 15_000,
    timeoutThresholdMs: 300_000,
    errorThreshold: 1_000_000,
    errorWindowMs: 60_000,
  });
  const dispatcher = new Dispatcher(testOptions(options), {
    store,
    registry,
    routing: new RoutingTable(rules),
    clock,
    random: new SeededRandom(7),
  });
  const settle = async (turns = 8): Promise<void> => {
    for (let i = 0; i < turns; i++) await flushMicrotasks();
  };
  return {
    clock,
    store,
    registry,
    dispatcher,
    settle,
    agent: (name, capabilities, fn, extra = {}) => {
      registry.register({ name, capabilities, transport: new InprocTransport(fn), ...extra });
    },
    close: async () => {
      await dispatcher.close(0);
      await registry.close();
      if (existing === undefined) await store.close();
    },
  };
}
