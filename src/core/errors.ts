/**
 * The closed set of error codes Conclave raises. Every domain failure carries one of these, so
 * callers branch on `code`, never on message text.
 */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'CONFIG_INVALID',
  'UNKNOWN_PATTERN',
  'NOT_FOUND',
  'CONFLICT',
  'DUPLICATE_AGENT',
  'AGENT_NOT_FOUND',
  'AGENT_UNAVAILABLE',
  'AGENT_ERROR',
  'CIRCUIT_OPEN',
  'RATE_LIMITED',
  'QUEUE_FULL',
  'PAYLOAD_TOO_LARGE',
  'TIMEOUT',
  'CANCELLED',
  'SHUTTING_DOWN',
  'HALTED',
  'NO_RESPONDERS',
  'STORE_ERROR',
  'BUS_ERROR',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'INTERNAL',
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The one table that maps error codes to HTTP statuses. */
export const HTTP_STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  CONFIG_INVALID: 400,
  UNKNOWN_PATTERN: 404,
  NOT_FOUND: 404,
  CONFLICT: 409,
  DUPLICATE_AGENT: 409,
  AGENT_NOT_FOUND: 404,
  AGENT_UNAVAILABLE: 503,
  AGENT_ERROR: 502,
  CIRCUIT_OPEN: 503,
  RATE_LIMITED: 429,
  QUEUE_FULL: 503,
  PAYLOAD_TOO_LARGE: 413,
  TIMEOUT: 504,
  CANCELLED: 409,
  SHUTTING_DOWN: 503,
  HALTED: 503,
  NO_RESPONDERS: 503,
  STORE_ERROR: 500,
  BUS_ERROR: 503,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  INTERNAL: 500,
};

/** Codes whose failures are worth retrying by default (transient conditions). */
const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'AGENT_UNAVAILABLE',
  'AGENT_ERROR',
  'CIRCUIT_OPEN',
  'RATE_LIMITED',
  'TIMEOUT',
  'NO_RESPONDERS',
  'STORE_ERROR',
  'BUS_ERROR',
]);

/** Options for {@link ConclaveError}. */
export interface ConclaveErrorOptions {
  /** The underlying failure, if any. */
  cause?: unknown;
  /** Overrides the code's default retryability. */
  retryable?: boolean;
  /** Structured details safe to show a client (field names, allowed values, ids). */
  details?: Record<string, unknown>;
}

/**
 * The base of every error Conclave raises for a domain condition.
 * @remarks `retryable` tells the dispatcher and the workflow engine whether another attempt can help;
 * a validation error never can, a timeout usually can.
 */
export class ConclaveError extends Error {
  override readonly name: string = 'ConclaveError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: ConclaveErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.details = options.details ?? {};
  }

  /** The HTTP status this error maps to. */
  get httpStatus(): number {
    return HTTP_STATUS_BY_CODE[this.code];
  }

  /** A plain, JSON-safe description (no stack), as stored and as sent to clients. */
  toJSON(): SerializedError {
    return { code: this.code, message: this.message, retryable: this.retryable, details: this.details };
  }
}

/** The JSON shape of an error as persisted in the store and returned by the API. */
export interface SerializedError {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  details?: Record<string, unknown>;
}

/** A validation failure that names the offending field and what would be accepted. */
export class ValidationError extends ConclaveError {
  override readonly name = 'ValidationError';
  readonly field: string;

  constructor(field: string, message: string, details: Record<string, unknown> = {}) {
    super('VALIDATION_FAILED', `${field}: ${message}`, { retryable: false, details: { field, ...details } });
    this.field = field;
  }
}

/** True when `value` is a {@link ConclaveError} (optionally of the given code). */
export function isConclaveError(value: unknown, code?: ErrorCode): value is ConclaveError {
  return value instanceof ConclaveError && (code === undefined || value.code === code);
}

/**
 * Wraps anything thrown into a {@link ConclaveError}. Unknown errors become `fallback` (default
 * `INTERNAL`), keeping the original as `cause`.
 */
export function toConclaveError(value: unknown, fallback: ErrorCode = 'INTERNAL'): ConclaveError {
  if (value instanceof ConclaveError) return value;
  if (value instanceof Error) {
    if (value.name === 'AbortError') return new ConclaveError('CANCELLED', value.message, { cause: value });
    if (value.name === 'TimeoutError') return new ConclaveError('TIMEOUT', value.message, { cause: value });
    return new ConclaveError(fallback, value.message, { cause: value });
  }
  return new ConclaveError(fallback, String(value));
}

/** Serialises anything thrown into the stored/API error shape. */
export function serializeError(value: unknown): SerializedError {
  return toConclaveError(value).toJSON();
}
