/**
 * The live coordinator, built for a backtest: the same `SignalCoordinator`, policy and routing
 * rules as live, on an in-process bus and state, a ManualClock at bar time, and an in-memory
 * SQLite audit store.
 */
import type { MemoryBus as MemoryBusType } from '../../bus/memory-bus.ts';
import { MemoryBus } from '../../bus/memory-bus.ts';
import { ManualClock } from '../../core/clock.ts';
import {
  compileRoutingRules,
  createRouter,
  DEFAULT_ROUTING_RULES,
  policyByName,
  SignalCoordinator,
  type Decision,
  type DecisionPolicy,
} from '../../coordination/index.ts';
import { MemoryState } from '../../state/memory-state.ts';
import { openSqliteStore } from '../../store/index.ts';
import type { KyselyStore } from '../../store/kysely-store.ts';
import { CONCLAVE_VERSION } from '../../core/version.ts';
import type { BacktestPolicyName } from './options.ts';

/** A coordinator and everything it runs on, with the decisions it has made, by corr_id. */
export interface CoordinatorRig {
  readonly clock: ManualClock;
  readonly bus: MemoryBusType;
  readonly coordinator: SignalCoordinator;
  readonly policy: DecisionPolicy;
  readonly store: KyselyStore;
  /** Decisions seen on the coordinator's `decision` event and not yet taken. */
  takeDecision(corrId: string): Decision | undefined;
  close(): Promise<void>;
}

/**
 * Builds the coordinator a backtest feeds.
 * @remarks The fan-in waits for exactly the policy's agents (every one of them reports on every
 * bar), so a decision is made the moment the last signal of a bar arrives and the deadline timer
 * never fires; the deadline and state TTL are short next to a bar, so a bar's state expires by the
 * next. Decisions are not audited (the result carries them all); the private in-memory store still
 * receives the rest of the audit trail (late or rejected signals).
 */
export async function openCoordinatorRig(
  policyName: BacktestPolicyName,
  startMs: number,
): Promise<CoordinatorRig> {
  const clock = new ManualClock(startMs);
  const bus = new MemoryBus({ clock });
  const state = new MemoryState({ clock });
  const store = await openSqliteStore({ path: ':memory:' });
  const policy = policyByName(policyName);
  const coordinator = new SignalCoordinator(
    {
      fanIn: {
        profile: 'simple',
        requiredAgents: policy.requiredAgents ?? [],
        decisionTimeoutMs: 60_000,
        stateTtlMs: 120_000,
      },
      idempotencyTtlMs: 120_000,
      version: CONCLAVE_VERSION,
      auditDecisions: false,
    },
    {
      bus,
      state,
      store,
      clock,
      policy,
      router: createRouter(compileRoutingRules(DEFAULT_ROUTING_RULES)),
    },
  );
  const decisions = new Map<string, Decision>();
  const off = coordinator.on('decision', (_action, _latencyMs, decision) => {
    decisions.set(decision.corr_id, decision);
  });
  return {
    clock,
    bus,
    coordinator,
    policy,
    store,
    takeDecision(corrId) {
      const decision = decisions.get(corrId);
      decisions.delete(corrId);
      return decision;
    },
    async close() {
      off();
      await coordinator.close();
      await bus.close();
      await state.close();
      await store.close();
    },
  };
}
