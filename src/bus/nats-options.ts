import { ValidationError } from '../core/errors.ts';
import type { ConclaveError } from '../core/errors.ts';

/** The connection state a {@link NatsBus} reports, e.g. to a health check. */
export type NatsConnectionState = 'connected' | 'reconnecting' | 'closed';

/** A snapshot of a {@link NatsBus} connection. */
export interface NatsBusStatus {
  readonly state: NatsConnectionState;
  /** The server currently (or last) connected to. */
  readonly server: string | undefined;
  /** Times the connection was re-established since connect. */
  readonly reconnects: number;
  /** When the current state began, in epoch milliseconds. */
  readonly sinceMs: number;
}

/** Options for {@link NatsBus.connect}. Every field is optional. */
export interface NatsBusOptions {
  /** Server URL or URLs. Default `nats://127.0.0.1:4222`. */
  servers?: string | string[];
  /** Connection name shown by the server's monitoring. Default `conclave`. */
  name?: string;
  /** How long a publish waits for a lost connection to come back (and for a stream ack). Default 5000. */
  publishTimeoutMs?: number;
  /** Timeout of JetStream management calls (ensureStream, consume setup). Default 5000. */
  apiTimeoutMs?: number;
  /** Reconnect after losing the server. Default true. */
  reconnect?: boolean;
  /** Reconnect attempts per server before giving up; -1 for forever. Default -1. */
  maxReconnectAttempts?: number;
  /** Pause between reconnect attempts to the same server. Default 1000. */
  reconnectTimeWaitMs?: number;
  /** How long close() lets in-flight work drain before closing anyway. Default 5000. */
  drainTimeoutMs?: number;
  /** Told about every error a handler throws or rejects with. */
  onHandlerError?: (error: unknown, subject: string) => void;
  /** Told about background failures: a consumer's fetch, a dead-letter publish. */
  onError?: (error: ConclaveError) => void;
  /** Told each time the connection state changes. */
  onStatusChange?: (status: NatsBusStatus) => void;
}

/** {@link NatsBusOptions} validated and completed with defaults. */
export interface CompiledNatsBusOptions {
  readonly servers: string[];
  readonly name: string;
  readonly publishTimeoutMs: number;
  readonly apiTimeoutMs: number;
  readonly reconnect: boolean;
  readonly maxReconnectAttempts: number;
  readonly reconnectTimeWaitMs: number;
  readonly drainTimeoutMs: number;
  readonly onHandlerError: ((error: unknown, subject: string) => void) | undefined;
  readonly onError: ((error: ConclaveError) => void) | undefined;
  readonly onStatusChange: ((status: NatsBusStatus) => void) | undefined;
}

/** The server a bus connects to when none is given. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

function durationMs(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValidationError(field, `must be a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}

function callback<F>(field: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new ValidationError(field, `must be a function, got ${typeof value}`);
  }
  return value;
}

/** Validates {@link NatsBusOptions} (errors name the field) and fills in defaults. */
export function compileNatsBusOptions(options: NatsBusOptions = {}): CompiledNatsBusOptions {
  const raw = options.servers ?? DEFAULT_NATS_URL;
  const servers = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(servers) || servers.length === 0) {
    throw new ValidationError('servers', 'must be a URL or a non-empty list of URLs');
  }
  for (const server of servers) {
    if (typeof server !== 'string' || server.trim().length === 0) {
      throw new ValidationError('servers', `each server must be a non-empty string, got ${String(server)}`);
    }
  }
  const name = options.name ?? 'conclave';
  if (typeof name !== 'string' || name.length === 0) {
    throw new ValidationError('name', 'must be a non-empty string');
  }
  const reconnect = options.reconnect ?? true;
  if (typeof reconnect !== 'boolean') throw new ValidationError('reconnect', 'must be true or false');
  const attempts = options.maxReconnectAttempts ?? -1;
  if (!Number.isInteger(attempts) || attempts < -1) {
    throw new ValidationError('maxReconnectAttempts', `must be -1 or an integer >= 0, got ${attempts}`);
  }
  return {
    servers: [...servers],
    name,
    publishTimeoutMs: durationMs('publishTimeoutMs', options.publishTimeoutMs, 5_000),
    apiTimeoutMs: durationMs('apiTimeoutMs', options.apiTimeoutMs, 5_000),
    reconnect,
    maxReconnectAttempts: attempts,
    reconnectTimeWaitMs: durationMs('reconnectTimeWaitMs', options.reconnectTimeWaitMs, 1_000),
    drainTimeoutMs: durationMs('drainTimeoutMs', options.drainTimeoutMs, 5_000),
    onHandlerError: callback('onHandlerError', options.onHandlerError),
    onError: callback('onError', options.onError),
    onStatusChange: callback('onStatusChange', options.onStatusChange),
  };
}
