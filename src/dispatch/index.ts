export { Dispatcher } from './dispatcher.ts';
export type {
  AggregateResult,
  DispatcherDeps,
  DispatcherEvents,
  DispatcherOptions,
  DispatcherStats,
  Halt,
  TaskSelector,
} from './dispatcher-types.ts';
export { DeadLetterQueue } from './dead-letters.ts';
export { aggregateTasks } from './aggregate.ts';
export { compileDispatcherOptions } from './compile-options.ts';
export { RoutingTable, type Route } from './routing.ts';
export { parseSubmitInput, submitInputSchema, type SubmitInput } from './submit-schema.ts';
export { CircuitBreaker, BREAKER_STATE_VALUE, type BreakerSnapshot, type BreakerState } from './breaker.ts';
export { TokenBucketLimiter, type RateLimit, type RateLimiter } from './rate-limiter.ts';
export { createBalancer, BALANCING_STRATEGIES, type Balancer, type BalancingStrategy } from './balancer.ts';
export { PriorityQueue } from './priority-queue.ts';
export { backoffDelayMs, type BackoffOptions } from './backoff.ts';
