/** The messaging layer's public face: the {@link Bus} contract, its in-process and NATS JetStream implementations, subject helpers. */
export * from './bus.ts';
export { MemoryBus } from './memory-bus.ts';
export type { MemoryBusOptions, MemoryBusStats } from './memory-bus.ts';
export { DEFAULT_DUPLICATE_WINDOW_MS } from './memory-stream.ts';
export { DEFAULT_MAX_ACK_PENDING } from './memory-consumer.ts';
export {
  SubjectIndex,
  patternsOverlap,
  subjectMatches,
  validateName,
  validatePattern,
  validateQueue,
  validateSubject,
} from './subject.ts';
export { NatsBus } from './nats-bus.ts';
export { DEFAULT_NATS_URL, compileNatsBusOptions } from './nats-options.ts';
export type {
  CompiledNatsBusOptions,
  NatsBusOptions,
  NatsBusStatus,
  NatsConnectionState,
} from './nats-options.ts';
