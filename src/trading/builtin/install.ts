/**
 * Registers the built-in trading agents with a Conclave, as ordinary in-process agents reached
 * through the dispatcher like any other.
 */
import type { Conclave } from '../../conclave.ts';
import type { PaperBrokerOptions } from '../agents/index.ts';
import type { MarketDataSource } from '../market-data/source.ts';
import { VegaDatasetsSource } from '../market-data/vega-source.ts';
import { TradingDesk } from './desk.ts';
import { executeOrder, getPortfolio } from './execution.ts';
import {
  analyzeCorrelation,
  assessRiskHandler,
  costHandler,
  fetchMarketData,
  generateSignals,
} from './handlers.ts';

/** Options for {@link installTradingAgents}. */
export interface TradingAgentsOptions {
  /** Where bars come from. Default: the real data bundled with vega-datasets. */
  source?: MarketDataSource;
  /** The paper broker's settings (initial cash, slippage, commission, …). */
  broker?: PaperBrokerOptions;
  /** Prefix for the agents' names, so two desks can share a registry. Default none. */
  namePrefix?: string;
}

type Handler = (desk: TradingDesk, payload: unknown, signal: AbortSignal, capability: string) => unknown;

/** One built-in agent: its name, the FinAgent pool it stands for, and its capabilities. */
export interface BuiltinAgentSpec {
  readonly name: string;
  readonly pool: string;
  readonly capabilities: readonly string[];
  readonly handle: Handler;
}

/**
 * The built-in agents. Capability names equal the routing patterns (`fetch_market_data`,
 * `generate_signals`, …), so implicit capability routing sends those patterns here with no rule.
 */
export const BUILTIN_AGENTS: readonly BuiltinAgentSpec[] = [
  {
    name: 'data_agent',
    pool: 'data_agent_pool',
    capabilities: ['fetch_market_data', 'fetch_data'],
    handle: fetchMarketData,
  },
  {
    name: 'momentum_agent',
    pool: 'alpha_agent_pool',
    capabilities: ['generate_signals', 'calculate_momentum', 'momentum.analyze'],
    handle: generateSignals,
  },
  {
    name: 'risk_agent',
    pool: 'risk_agent_pool',
    capabilities: ['assess_risk', 'risk.assess'],
    handle: assessRiskHandler,
  },
  {
    name: 'correlation_agent',
    pool: 'risk_agent_pool',
    capabilities: ['analyze_correlation', 'correlation.analyze'],
    handle: analyzeCorrelation,
  },
  {
    name: 'transaction_cost_agent',
    pool: 'transaction_cost_agent_pool',
    capabilities: ['estimate_costs', 'optimize_execution'],
    handle: (desk, payload, signal, capability) =>
      costHandler(desk, payload, signal, capability === 'optimize_execution'),
  },
  {
    name: 'execution_agent',
    pool: 'execution_agent_pool',
    capabilities: ['execute_order', 'get_portfolio'],
    handle: (desk, payload, signal, capability) =>
      capability === 'get_portfolio' ? getPortfolio(desk, payload) : executeOrder(desk, payload, signal),
  },
];

/** What {@link installTradingAgents} registered. */
export interface TradingAgents {
  /** The shared data source and paper broker. */
  readonly desk: TradingDesk;
  /** Agent name → capabilities. */
  readonly agents: Readonly<Record<string, readonly string[]>>;
}

/**
 * Registers the data, momentum/alpha, risk, correlation, transaction cost and execution agents as
 * in-process Conclave agents sharing one {@link TradingDesk}.
 * @remarks Handlers run on the dispatcher's normal path (routing, balancing, breaker, retries,
 * dead letters); a bad payload is a non-retryable `VALIDATION_FAILED` naming the field. Call before
 * `conclave.start()` so recovered tasks find their agents.
 */
export function installTradingAgents(conclave: Conclave, options: TradingAgentsOptions = {}): TradingAgents {
  const desk = new TradingDesk(options.source ?? new VegaDatasetsSource(), options.broker);
  const prefix = options.namePrefix ?? '';
  const agents: Record<string, readonly string[]> = {};
  for (const spec of BUILTIN_AGENTS) {
    const name = `${prefix}${spec.name}`;
    conclave.registerInprocAgent({
      name,
      capabilities: [...spec.capabilities],
      metadata: { pool: spec.pool, builtin: true },
      handler: (request, signal) => spec.handle(desk, request.payload, signal, request.capability),
    });
    agents[name] = spec.capabilities;
  }
  return { desk, agents };
}
