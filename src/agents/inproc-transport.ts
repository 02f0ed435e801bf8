import { ConclaveError, isConclaveError } from '../core/errors.ts';
import { isThenable, raceAbort } from './abortable.ts';
import type { AgentRequest, AgentTransport, CallContext } from './transport.ts';

/**
 * The function behind an in-process agent; it should stop when `signal` aborts. A function that
 * declares no second parameter is never handed a signal (none is created for it).
 */
export type InprocHandler = (request: AgentRequest, signal: AbortSignal) => unknown;

/**
 * Reaches an agent that is a function in this process.
 * @remarks A thrown `ConclaveError` passes through unchanged; anything else becomes a retryable
 * `AGENT_ERROR` with the original as `cause`. Abort rejects with `CANCELLED` at once, even if the
 * function ignores the signal (its eventual result is then dropped). A synchronous result costs
 * one resolved promise and no abort listener.
 */
export class InprocTransport implements AgentTransport {
  readonly kind = 'inproc' as const;
  readonly #fn: InprocHandler;
  #closed = false;

  readonly #wantsSignal: boolean;

  constructor(fn: InprocHandler) {
    this.#fn = fn;
    this.#wantsSignal = fn.length >= 2;
  }

  call(request: AgentRequest, context: CallContext): Promise<unknown> {
    if (this.#closed) {
      return Promise.reject(
        new ConclaveError('AGENT_UNAVAILABLE', `in-process agent for '${request.capability}' is closed`, {
          details: { capability: request.capability, taskId: request.taskId },
        }),
      );
    }
    if (context.aborted) return Promise.reject(cancelled(request, context.signal));
    let out: unknown;
    if (this.#wantsSignal) {
      const signal = context.signal;
      try {
        out = this.#fn(request, signal);
      } catch (err) {
        return Promise.reject(wrap(err, request, signal));
      }
    } else {
      try {
        out = (this.#fn as (request: AgentRequest) => unknown)(request);
      } catch (err) {
        return Promise.reject(wrap(err, request, undefined));
      }
    }
    if (!isThenable(out)) return Promise.resolve(out);
    const signal = context.signal;
    const settled = Promise.resolve(out).catch((err: unknown) => {
      throw wrap(err, request, signal);
    });
    return raceAbort(settled, signal, () => cancelled(request, signal));
  }

  /** Refuses further calls; calls in flight run to completion. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}

function cancelled(request: AgentRequest, signal: AbortSignal): ConclaveError {
  return new ConclaveError('CANCELLED', `in-process call for task ${request.taskId} was cancelled`, {
    cause: signal.reason,
    details: { capability: request.capability, taskId: request.taskId },
  });
}

function wrap(err: unknown, request: AgentRequest, signal: AbortSignal | undefined): ConclaveError {
  if (signal?.aborted === true) return cancelled(request, signal);
  if (isConclaveError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ConclaveError('AGENT_ERROR', `in-process agent for '${request.capability}' failed: ${message}`, {
    cause: err,
    retryable: true,
    details: { capability: request.capability, taskId: request.taskId },
  });
}
