import { EventEmitter } from 'node:events';

/** An event map: event name → listener argument tuple. */
export type EventMap = { [event: string]: unknown[] };

/**
 * EventEmitter with typed event names and arguments (BullMQ's `WorkerListener` habit): a typo in
 * an event name or a wrong payload is a compile error.
 */
export class TypedEmitter<E extends EventMap> {
  readonly #emitter = new EventEmitter({ captureRejections: false });

  constructor() {
    this.#emitter.setMaxListeners(100);
  }

  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): () => void {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return () => this.off(event, listener);
  }

  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): void {
    this.#emitter.once(event, listener as (...args: unknown[]) => void);
  }

  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): void {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
  }

  /** Whether anyone listens (lets hot paths skip building event payloads). */
  has<K extends keyof E & string>(event: K): boolean {
    return this.#emitter.listenerCount(event) > 0;
  }

  emit<K extends keyof E & string>(event: K, ...args: E[K]): void {
    this.#emitter.emit(event, ...args);
  }
}
