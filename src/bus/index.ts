/** The messaging layer's public face: the {@link Bus} contract, its in-process implementation, subject helpers. */
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
