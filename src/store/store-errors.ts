import { ConclaveError, isConclaveError } from '../core/errors.ts';

/**
 * Turning driver failures into {@link ConclaveError}s, without importing either driver: both
 * expose a string `code` on their errors.
 */

function driverCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

/**
 * True when `err` is a primary-key or unique-constraint violation: `SQLITE_CONSTRAINT_PRIMARYKEY`
 * or `SQLITE_CONSTRAINT_UNIQUE` from better-sqlite3, SQLSTATE `23505` from node-postgres.
 */
export function isUniqueViolation(err: unknown): boolean {
  const code = driverCode(err);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** Wraps a driver failure during `operation` as `STORE_ERROR`; ConclaveErrors pass through. */
export function storeError(operation: string, err: unknown): ConclaveError {
  if (isConclaveError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = driverCode(err);
  return new ConclaveError('STORE_ERROR', `store ${operation} failed: ${message}`, {
    cause: err,
    details: { operation, ...(code === undefined ? {} : { driverCode: code }) },
  });
}

/**
 * The error for a failed insert of `what` (e.g. `strategy 'abc'`): `CONFLICT` naming it when the
 * key is taken, else {@link storeError}.
 */
export function insertError(
  operation: string,
  what: string,
  err: unknown,
  details: Record<string, unknown> = {},
): ConclaveError {
  if (isUniqueViolation(err)) {
    return new ConclaveError('CONFLICT', `${what} already exists`, { cause: err, details });
  }
  return storeError(operation, err);
}

/** Runs `fn`, rethrowing any driver failure as {@link storeError}. */
export async function guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw storeError(operation, err);
  }
}
