/** The shared-state layer's public face: the {@link SharedState} contract and its in-memory and Redis implementations. */
export type * from './shared-state.ts';
export { MemoryState, DEFAULT_DECIDED_RETENTION_MS } from './memory-state.ts';
export type { MemoryStateOptions, MemoryStateStats } from './memory-state.ts';
export { RedisState, compileRedisStateOptions } from './redis-state.ts';
export type { RedisStateOptions, CompiledRedisStateOptions } from './redis-state.ts';
export { MAX_LATE_AGENTS } from './memory-correlations.ts';
export { takeFromBucket } from './token-bucket.ts';
export type { BucketState, BucketTake } from './token-bucket.ts';
export { CountingState, type StateOperation } from './counting-state.ts';
