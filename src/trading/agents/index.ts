/**
 * The trading domain agents: indicator series, momentum, risk, correlation and transaction cost
 * analyses as pure functions over bars (with incremental trackers for per-bar use), the paper
 * broker, and the enriched-signal wrapper.
 */
export * from './indicators.ts';
export * from './momentum-agent.ts';
export * from './risk-agent.ts';
export * from './correlation-agent.ts';
export * from './cost-agent.ts';
export * from './paper-orders.ts';
export * from './paper-broker.ts';
export * from './enriched.ts';
export { parseParams } from './params.ts';
export { RollingWindow, normalQuantile, quantile } from './stats.ts';
