import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node';
import { ConclaveError } from '../core/errors.ts';
import type { ErrorCode } from '../core/errors.ts';

/** JetStream's error code for a stream whose subjects overlap another stream's. */
const SUBJECTS_OVERLAP = 10065;

/** The closed-bus error every call raises after close(), as MemoryBus does. */
export function closedError(): ConclaveError {
  return new ConclaveError('BUS_ERROR', 'bus is closed', { retryable: false });
}

/** True when a NATS failure means nobody was listening on the subject. */
export function isNoResponders(error: unknown): boolean {
  if (error instanceof NoRespondersError) return true;
  if (error instanceof RequestError) return error.isNoResponders();
  return error instanceof Error && error.cause instanceof NoRespondersError;
}

/** True when a NATS failure is a timeout (bare or wrapped in a request error). */
export function isTimeout(error: unknown): boolean {
  return error instanceof TimeoutError || (error instanceof Error && error.cause instanceof TimeoutError);
}

/** True when JetStream answered that the named stream or consumer does not exist. */
export function isNotFound(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamNotFound || error.code === JetStreamApiCodes.ConsumerNotFound)
  );
}

/**
 * Turns a nats.js failure into a {@link ConclaveError} whose message says what was being done.
 *
 * @remarks Callers branch on `code`, never on nats.js classes: those stay inside the bus files.
 */
export function fromNatsError(
  error: unknown,
  doing: string,
  fallback: ErrorCode = 'BUS_ERROR',
): ConclaveError {
  if (error instanceof ConclaveError) return error;
  const message = error instanceof Error ? error.message : String(error);
  let code: ErrorCode = fallback;
  if (isNoResponders(error)) code = 'NO_RESPONDERS';
  else if (isTimeout(error)) code = 'TIMEOUT';
  else if (isNotFound(error)) code = 'NOT_FOUND';
  else if (error instanceof JetStreamApiError && error.code === SUBJECTS_OVERLAP) code = 'CONFLICT';
  return new ConclaveError(code, `${doing}: ${message}`, { cause: error });
}
