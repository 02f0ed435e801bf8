/**
 * The built-in trading agents (data, momentum/alpha, risk, correlation, transaction cost,
 * execution) as Conclave agents, their streaming enrichers, and the live feed.
 */
export { BUILTIN_AGENTS, installTradingAgents } from './install.ts';
export type { BuiltinAgentSpec, TradingAgents, TradingAgentsOptions } from './install.ts';
export { defaultInterval, TradingDesk } from './desk.ts';
export type { DeskBarRequest, DeskBars } from './desk.ts';
export { ENRICHING_AGENTS, NORMALIZED_SUBJECT, SignalEnrichers } from './enrichers.ts';
export type { SignalEnrichersDeps } from './enrichers.ts';
export { DEFAULT_FEED_SYMBOLS, LiveFeed } from './live-feed.ts';
export type { LiveFeedDeps, LiveFeedOptions, LiveFeedStats } from './live-feed.ts';
export * from './payloads.ts';
export { installBuiltinTrading } from './from-config.ts';
export type { BuiltinTrading } from './from-config.ts';
