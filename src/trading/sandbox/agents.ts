/**
 * The agents a backtest runs per symbol: the live momentum, risk and correlation analyses behind
 * one small per-bar interface, so a test can wrap or replace one.
 */
import { assessCorrelation, type Holding } from '../agents/correlation-agent.ts';
import { MomentumTracker } from '../agents/momentum-agent.ts';
import { RiskTracker } from '../agents/risk-agent.ts';
import type { Bar } from '../market-data/bar.ts';
import type { CompiledBacktestOptions } from './options.ts';

/** What an agent may know when asked for its analysis at bar t. */
export interface BarContext {
  readonly symbol: string;
  /** The bar being analysed: the last one the agent has been given. */
  readonly timestampMs: number;
  readonly equityMoney: number;
  readonly peakEquityMoney: number;
  readonly positionUnits: number;
  /** Every symbol's bars up to and including t, oldest first (nothing later is ever in here). */
  readonly history: Readonly<Record<string, readonly Bar[]>>;
  readonly holdings: readonly Holding[];
}

/** One agent's per-symbol state in a backtest: fed bar by bar, asked for its analysis. */
export interface SandboxAgent {
  /** The coordinator's agent name (`momentum`, `risk`, `correlation`). */
  readonly name: string;
  readonly version: string;
  /** Adds the symbol's next bar. */
  update(bar: Bar): void;
  /** The analysis, in the shape the coordinator's policies read. */
  analyze(context: BarContext): Readonly<Record<string, unknown>>;
}

/** Makes the agent for one symbol. */
export type SandboxAgentFactory = (symbol: string, options: CompiledBacktestOptions) => SandboxAgent;

/** The version the sandbox stamps on its agents' enriched signals. */
export const SANDBOX_AGENT_VERSION = '1.0.0';

/**
 * The live agents, by coordinator name.
 * @remarks Momentum and risk are the streaming trackers the live agents use (O(1) per bar);
 * correlation calls the live `assessCorrelation` on the histories, which hold bars up to t only.
 */
export const DEFAULT_AGENT_FACTORIES: Readonly<Record<string, SandboxAgentFactory>> = {
  momentum: (_symbol, options) => {
    const tracker = new MomentumTracker(options.strategy.momentum);
    return {
      name: 'momentum',
      version: SANDBOX_AGENT_VERSION,
      update: (bar) => tracker.update(bar),
      analyze: () => tracker.analysis(),
    };
  },
  risk: (_symbol, options) => {
    const tracker = new RiskTracker({ barsPerYear: options.barsPerYear, ...options.strategy.risk });
    return {
      name: 'risk',
      version: SANDBOX_AGENT_VERSION,
      update: (bar) => tracker.update(bar),
      analyze: (c) =>
        tracker.assess({
          equity: c.equityMoney,
          peakEquity: c.peakEquityMoney,
          positionUnits: c.positionUnits,
        }),
    };
  },
  correlation: (symbol, options) => ({
    name: 'correlation',
    version: SANDBOX_AGENT_VERSION,
    update: () => undefined,
    analyze: (c) => assessCorrelation(symbol, c.history, c.holdings, options.strategy.correlation),
  }),
};
