/**
 * The sandbox: event-driven backtests through the live agents and coordinator, performance
 * metrics, CSV/JSON exports, stress scenarios, paper replay and reproducible run manifests.
 */
export { runBacktest } from './backtest.ts';
export type { BacktestHooks, BacktestResult, BacktestStats } from './backtest.ts';
export { DEFAULT_AGENT_FACTORIES, SANDBOX_AGENT_VERSION } from './agents.ts';
export type { BarContext, SandboxAgent, SandboxAgentFactory } from './agents.ts';
export type { BacktestData } from './data.ts';
export {
  BACKTEST_POLICIES,
  backtestOptionsSchema,
  compileBacktestOptions,
  costOptionsSchema,
  strategyParamsSchema,
} from './options.ts';
export type { BacktestOptions, BacktestPolicyName, CompiledBacktestOptions } from './options.ts';
export { positionChange } from './orders.ts';
export type { ExecutionRules, OrderIntent, PositionChange } from './orders.ts';
export type { DecisionRecord, EquityPoint, TradeRecord } from './records.ts';
export { buyAndHoldCurve, computeMetrics, maxDrawdownOf } from './metrics.ts';
export type { Drawdown, MetricsOptions, PerformanceMetrics } from './metrics.ts';
export { decisionsCsv, equityCsv, resultJson, tradesCsv } from './export.ts';
export { buildManifest, canonicalJson, hashBars, MANIFEST_FORMAT, sha256Hex } from './manifest.ts';
export type { RunManifest } from './manifest.ts';
export {
  applyGapShock,
  applyVolatilityShock,
  HISTORICAL_WINDOWS,
  STRESS_SCENARIOS,
  SYNTHETIC_SHOCKS,
} from './stress.ts';
export type {
  HistoricalWindow,
  HistoricalWindowName,
  StressScenarioName,
  SyntheticShockName,
} from './stress.ts';
export { runTestScenario, testScenarioSchema } from './scenario.ts';
export type { ScenarioResult, TestScenario } from './scenario.ts';
