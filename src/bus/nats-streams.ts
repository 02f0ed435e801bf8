import type { StreamConfig as NatsStreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { CompiledStreamConfig } from './memory-stream.ts';
import { subjectMatches } from './subject.ts';

/** JetStream reads a zero duplicate window as "the default" (2 min): the smallest real one stands for "none". */
const NO_DEDUP_WINDOW_NS = nanos(1);
const CAPTURE_CACHE_LIMIT = 10_000;

/**
 * The JetStream settings for a compiled stream config: limits retention, file storage, and a
 * duplicate window no longer than the max age (JetStream refuses one that is longer).
 */
export function toNatsStreamConfig(
  config: CompiledStreamConfig,
): Pick<NatsStreamConfig, 'name' | 'subjects' | 'max_msgs' | 'max_age' | 'duplicate_window'> {
  const windowMs = Math.min(config.duplicateWindowMs, config.maxAgeMs);
  return {
    name: config.name,
    subjects: [...config.subjects],
    max_msgs: config.maxMsgs === Infinity ? -1 : config.maxMsgs,
    max_age: config.maxAgeMs === Infinity ? 0 : nanos(config.maxAgeMs),
    duplicate_window: windowMs > 0 ? nanos(windowMs) : NO_DEDUP_WINDOW_NS,
  };
}

/**
 * Which subjects the streams a bus knows of capture, so a publish can tell whether it must go
 * through JetStream (and wait for the stream's ack).
 *
 * @remarks Answers are cached per subject, like MemoryBus' delivery plans, and dropped whenever
 * a stream is added, changed or forgotten.
 */
export class NatsStreamIndex {
  readonly #subjects = new Map<string, readonly string[]>();
  readonly #cache = new Map<string, boolean>();

  /** Records (or replaces) the subjects of stream `name`. */
  set(name: string, subjects: readonly string[]): void {
    this.#subjects.set(name, [...subjects]);
    this.#cache.clear();
  }

  /** Forgets stream `name`. */
  delete(name: string): void {
    if (this.#subjects.delete(name)) this.#cache.clear();
  }

  /** Forgets every stream capturing `subject` (one that turned out to be gone). */
  forget(subject: string): void {
    for (const [name, patterns] of this.#subjects) {
      if (patterns.some((p) => subjectMatches(p, subject))) this.#subjects.delete(name);
    }
    this.#cache.clear();
  }

  /** True when a known stream captures the concrete `subject`. */
  captures(subject: string): boolean {
    const cached = this.#cache.get(subject);
    if (cached !== undefined) return cached;
    let found = false;
    for (const patterns of this.#subjects.values()) {
      if (patterns.some((p) => subjectMatches(p, subject))) {
        found = true;
        break;
      }
    }
    if (this.#cache.size >= CAPTURE_CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(subject, found);
    return found;
  }
}
