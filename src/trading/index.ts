/**
 * The trading layer's public face: market data sources, the domain agents' analytics, the
 * built-in Conclave agents with the live feed, and the strategy planner.
 */
export * from './market-data/index.ts';
export * from './agents/index.ts';
export * from './builtin/index.ts';
export * from './planner/index.ts';
