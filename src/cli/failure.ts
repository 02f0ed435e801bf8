import { CommanderError } from 'commander';
import { ConclaveError, isConclaveError, type ErrorCode } from '../core/errors.ts';

/**
 * Exit statuses: 0 success, 1 a run-time failure (or a workflow that did not complete), 2 a usage,
 * configuration or validation error, 3 the server could not be reached, 4 the server refused the
 * API key (missing, unknown or without the role).
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, unreachable: 3, auth: 4 } as const;

/** One of the {@link EXIT} statuses. */
export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

/**
 * A failure the CLI has already put into words for a shell user, with the status to exit with.
 * @remarks Still a {@link ConclaveError}: `code` is the nearest domain code, so callers that do not
 * know about the CLI can branch on it as on any other failure.
 */
export class CliFailure extends ConclaveError {
  override readonly name = 'CliFailure';
  readonly exitCode: ExitStatus;

  constructor(code: ErrorCode, message: string, exitCode: ExitStatus, details: Record<string, unknown> = {}) {
    super(code, message, { retryable: false, details });
    this.exitCode = exitCode;
  }
}

/**
 * What to print and which status to exit with for an error that ended a command. Configuration
 * and validation errors print their (already readable) message without a stack.
 */
export function describeFailure(error: unknown, doing: string): { message: string | null; exitCode: number } {
  if (error instanceof CommanderError) {
    // Commander has printed its message already; help and --version end with 0.
    return { message: null, exitCode: error.exitCode === 0 ? EXIT.ok : EXIT.usage };
  }
  if (error instanceof CliFailure) return { message: `conclave: ${error.message}`, exitCode: error.exitCode };
  if (isConclaveError(error, 'CONFIG_INVALID'))
    return { message: `conclave: ${error.message}`, exitCode: EXIT.usage };
  if (isConclaveError(error, 'VALIDATION_FAILED'))
    return { message: `conclave: ${doing}: ${error.message}`, exitCode: EXIT.usage };
  return { message: `conclave: ${doing} failed: ${explain(error)}`, exitCode: EXIT.failure };
}

function explain(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  if (code === 'EADDRINUSE') return `${messageOf(error)}; choose another port with --port or CONCLAVE_PORT`;
  if (code === 'EACCES')
    return `${messageOf(error)}; ports below 1024 need privileges, choose another with --port`;
  return messageOf(error);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
