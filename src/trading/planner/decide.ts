/**
 * The planner's decision step: the joined per-symbol analyses become enriched signals, and the
 * configured decision policy and routing rules decide on them exactly as the coordinator would.
 */
import type { Conclave } from '../../conclave.ts';
import {
  applyRoute,
  buildDecision,
  buildRoutingContext,
  compileCoordination,
  type Decision,
  type EnrichedSignal,
  type NormalizedSignal,
} from '../../coordination/index.ts';
import { newId } from '../../core/ids.ts';
import { CONCLAVE_VERSION } from '../../core/version.ts';
import { endSpan, startTraced, tracingEnabled } from '../../telemetry/spans.ts';
import type { BuiltinContext } from '../../workflow/index.ts';
import { toEnrichedSignal } from '../agents/index.ts';
import { DECIDE_BUILTIN } from './plan.ts';

interface AgentOutput {
  symbol: string;
  as_of: string | null;
  analysis: Record<string, unknown>;
}

/** An order the decision step asks the execution agent for. */
export interface PlannedOrder {
  symbol: string;
  side: 'buy' | 'sell';
  quantity: number;
  decision_id: string;
}

/** What the decision step returns: the signals it decided on, its decisions, the orders to place. */
export interface DecideResult {
  signals: EnrichedSignal[];
  decisions: Decision[];
  orders: PlannedOrder[];
  costs: unknown[];
}

const registered = new WeakSet<object>();

const outputs = (ctx: BuiltinContext, step: string): AgentOutput[] => {
  const result = ctx.steps[step]?.result;
  return Array.isArray(result) ? (result as AgentOutput[]) : [];
};

/**
 * Runs `decide` under a `decision` span, a child of the active span (the `decide` workflow step's),
 * with the attributes the coordinator's decision span carries plus the strategy's id.
 * @remarks Called only when tracing is on; untraced, the step calls `decide` directly.
 */
function decideInSpan(corrId: string, strategyId: string, decide: () => Decision): Decision {
  const { span } = startTraced('decision', {
    'conclave.corr_id': corrId,
    'conclave.strategy_id': strategyId,
  });
  let decision: Decision;
  try {
    decision = decide();
  } catch (err) {
    endSpan(span, err);
    throw err;
  }
  endSpan(span, undefined, {
    'conclave.action': decision.action,
    'conclave.policy': decision.policy,
    'conclave.partial': decision.partial,
    'conclave.latency_ms': decision.timings.latency_ms,
  });
  return decision;
}

/**
 * Registers the `trading.decide` builtin on `conclave`'s workflow engine (once per engine).
 * @remarks Decides in the step rather than publishing to the coordinator and awaiting its
 * decision: a workflow step should be a function of its inputs, so a resumed or re-run strategy
 * decides the same way; the coordinator's fan-in would add its timeout, and its idempotency window
 * would silently drop a re-run's correlation ids. It uses the same policy (`coordination.policy`),
 * the same routing rules and the same `buildDecision`, so the decisions have the coordinator's
 * exact shape and semantics.
 */
export function registerPlannerBuiltins(conclave: Conclave): void {
  if (registered.has(conclave.workflows)) return;
  registered.add(conclave.workflows);
  const { policy, router } = compileCoordination(conclave.config.coordination, CONCLAVE_VERSION);
  conclave.workflows.registerBuiltin(DECIDE_BUILTIN, (params, ctx) => {
    const strategyId = (params as { strategy_id?: string }).strategy_id ?? 'strategy';
    const momentum = outputs(ctx, 'momentum');
    const risk = outputs(ctx, 'risk');
    const correlation = outputs(ctx, 'correlation');
    const costs = outputs(ctx, 'transaction_cost');
    const result: DecideResult = { signals: [], decisions: [], orders: [], costs };
    const traced = tracingEnabled();
    momentum.forEach((m, i) => {
      const now = conclave.clock.now();
      const source: NormalizedSignal = {
        corr_id: `${strategyId}-${ctx.runId}-${m.symbol}`,
        instrument: m.symbol,
        timestamp: m.as_of ?? new Date(now).toISOString(),
        source: `strategy:${strategyId}`,
        signal_type: 'strategy',
        payload: { strategy_id: strategyId, run_id: ctx.runId },
      };
      const signals: Record<string, EnrichedSignal> = {};
      const add = (agent: string, out: AgentOutput | undefined): void => {
        if (out === undefined) return;
        signals[agent] = toEnrichedSignal(agent, CONCLAVE_VERSION, out.analysis, source, now);
        result.signals.push(signals[agent]);
      };
      add('momentum', m);
      add('risk', risk[i]);
      add('correlation', correlation[i]);
      const decide = (): Decision => {
        const missing = (policy.requiredAgents ?? []).filter((a) => signals[a] === undefined);
        const raw = policy.decide(signals, { partial: missing.length > 0, missing });
        const match = router.route(buildRoutingContext(signals, raw));
        return buildDecision({
          corrId: source.corr_id,
          decisionId: newId('dec', now),
          policy: policy.name,
          outcome: applyRoute(raw, match),
          route: match.route,
          partial: missing.length > 0,
          missingAgents: missing,
          contributingAgents: Object.keys(signals),
          firstSignalAtMs: now,
          decidedAtMs: conclave.clock.now(),
        });
      };
      const decision = traced ? decideInSpan(source.corr_id, strategyId, decide) : decide();
      result.decisions.push(decision);
      const trades = decision.action === 'trade' || decision.action === 'trade_with_caution';
      const quantity = Math.floor(decision.size ?? 0);
      if (trades && decision.direction !== undefined && quantity > 0) {
        const side = decision.direction === 'up' ? 'buy' : 'sell';
        result.orders.push({ symbol: m.symbol, side, quantity, decision_id: decision.decision_id });
      }
    });
    return Promise.resolve(result);
  });
}
