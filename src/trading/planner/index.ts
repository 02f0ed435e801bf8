/**
 * The strategy planner: strategies and templates, the DAG planner, and running strategies and
 * step lists on the workflow engine.
 */
export * from './strategy.ts';
export { DECIDE_BUILTIN, planStrategy, strategyInput } from './plan.ts';
export type { PlanOptions } from './plan.ts';
export { registerPlannerBuiltins } from './decide.ts';
export type { DecideResult, PlannedOrder } from './decide.ts';
export { executeStrategy, executeWorkflow, startStrategy, strategyRunOutput } from './execute.ts';
export type { StrategyRunResult, WorkflowStepSpec } from './execute.ts';
export { backtestPlanFor } from './backtest-plan.ts';
export type { BacktestOverrides, BacktestPlan } from './backtest-plan.ts';
