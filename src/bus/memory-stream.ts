import type { Clock } from '../core/clock.ts';
import { ConclaveError } from '../core/errors.ts';
import type { Headers, StreamConfig } from './bus.ts';
import { validateName, validatePattern } from './subject.ts';

/** A message retained by a {@link MemoryStream}. */
export interface StoredMessage {
  readonly seq: number;
  readonly subject: string;
  readonly data: unknown;
  readonly headers: Headers;
  readonly timestampMs: number;
}

/** A {@link StreamConfig} validated and completed with defaults. */
export interface CompiledStreamConfig {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly maxMsgs: number;
  readonly maxAgeMs: number;
  readonly duplicateWindowMs: number;
}

/** The default msgId deduplication window, as in JetStream. */
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

function positive(field: string, value: number | undefined, integer: boolean): number {
  if (value === undefined) return Infinity;
  if (!(value > 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new ConclaveError(
      'VALIDATION_FAILED',
      `stream ${field} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`,
    );
  }
  return value;
}

/** Validates a stream config (name, subject patterns, limits) and fills in defaults. */
export function compileStreamConfig(config: StreamConfig): CompiledStreamConfig {
  validateName('stream', config.name);
  if (!Array.isArray(config.subjects) || config.subjects.length === 0) {
    throw new ConclaveError('VALIDATION_FAILED', `stream "${config.name}" needs at least one subject`);
  }
  for (const s of config.subjects) validatePattern(s);
  const window = config.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS;
  if (!(window >= 0) || !Number.isFinite(window)) {
    throw new ConclaveError('VALIDATION_FAILED', `stream duplicateWindowMs must be >= 0, got ${window}`);
  }
  return {
    name: config.name,
    subjects: [...config.subjects],
    maxMsgs: positive('maxMsgs', config.maxMsgs, true),
    maxAgeMs: positive('maxAgeMs', config.maxAgeMs, false),
    duplicateWindowMs: window,
  };
}

/**
 * An in-memory JetStream-like stream with limits retention: messages stay until `maxMsgs` or
 * `maxAgeMs` push them out, whatever consumers do with them; a msgId seen within the duplicate
 * window is dropped.
 *
 * @remarks Age limits are applied lazily, on append and read, so an idle stream holds no timers.
 * With no limits set a stream grows without bound, as in JetStream: configure one in production.
 */
export class MemoryStream {
  #config: CompiledStreamConfig;
  readonly #clock: Clock;
  /** Retained messages in sequence order, from `#head`; sequences are contiguous. */
  #msgs: StoredMessage[] = [];
  #head = 0;
  #lastSeq = 0;
  /** msgId → time first seen, in insertion (hence time) order. */
  readonly #seenIds = new Map<string, number>();
  readonly #listeners = new Set<() => void>();

  constructor(config: CompiledStreamConfig, clock: Clock) {
    this.#config = config;
    this.#clock = clock;
  }

  /** The stream's name. */
  get name(): string {
    return this.#config.name;
  }

  /** The patterns the stream captures. */
  get subjects(): readonly string[] {
    return this.#config.subjects;
  }

  /** The sequence of the oldest retained message (`lastSeq + 1` when empty). */
  get firstSeq(): number {
    this.#expire();
    return this.#msgs[this.#head]?.seq ?? this.#lastSeq + 1;
  }

  /** The sequence of the newest message ever stored (0 when none). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Messages currently retained. */
  get length(): number {
    this.#expire();
    return this.#msgs.length - this.#head;
  }

  /** Applies a new config: subjects and limits (the limits take effect at once). */
  update(config: CompiledStreamConfig): void {
    this.#config = config;
    this.#trim();
  }

  /** Stores a message unless `msgId` was seen within the window. Returns whether it was stored. */
  append(subject: string, data: unknown, headers: Headers, msgId: string | undefined): boolean {
    const now = this.#clock.now();
    if (msgId !== undefined && this.#config.duplicateWindowMs > 0) {
      this.#forgetIds(now);
      if (this.#seenIds.has(msgId)) return false;
      this.#seenIds.set(msgId, now);
    }
    this.#msgs.push({ seq: ++this.#lastSeq, subject, data, headers, timestampMs: now });
    this.#trim();
    for (const listener of this.#listeners) listener();
    return true;
  }

  /** The retained message with sequence `seq`, if any. */
  get(seq: number): StoredMessage | undefined {
    const first = this.firstSeq;
    if (seq < first || seq > this.#lastSeq) return undefined;
    return this.#msgs[this.#head + (seq - first)];
  }

  /** Registers a callback run after each stored message; returns its remover. */
  onAppend(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #trim(): void {
    const excess = this.#msgs.length - this.#head - this.#config.maxMsgs;
    if (excess > 0) this.#head += excess;
    this.#expire();
  }

  #expire(): void {
    if (this.#config.maxAgeMs !== Infinity) {
      const oldest = this.#clock.now() - this.#config.maxAgeMs;
      while (
        this.#head < this.#msgs.length &&
        (this.#msgs[this.#head] as StoredMessage).timestampMs <= oldest
      ) {
        this.#head++;
      }
    }
    if (this.#head > 1024 && this.#head * 2 > this.#msgs.length) {
      this.#msgs = this.#msgs.slice(this.#head);
      this.#head = 0;
    }
  }

  #forgetIds(now: number): void {
    const cutoff = now - this.#config.duplicateWindowMs;
    for (const [id, seenAt] of this.#seenIds) {
      if (seenAt > cutoff) break;
      this.#seenIds.delete(id);
    }
  }
}
