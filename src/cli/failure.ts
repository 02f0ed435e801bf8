import { CommanderError } from 'commander';
import { isConclaveError } from '../core/errors.ts';

/** Exit statuses: 0 success, 1 a run-time failure, 2 a usage or configuration error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/**
 * What to print and which status to exit with for an error that ended a command. Configuration
 * errors print their (already readable, multi-line) message without a stack.
 */
export function describeFailure(error: unknown, doing: string): { message: string | null; exitCode: number } {
  if (error instanceof CommanderError) {
    // Commander has printed its message already; help and --version end with 0.
    return { message: null, exitCode: error.exitCode === 0 ? EXIT.ok : EXIT.usage };
  }
  if (isConclaveError(error, 'CONFIG_INVALID'))
    return { message: `conclave: ${error.message}`, exitCode: EXIT.usage };
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
