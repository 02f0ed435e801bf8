import type { JsonObject } from '../core/task.ts';

/** What an agent receives for one attempt of one task. */
export interface AgentRequest {
  taskId: string;
  pattern: string;
  /** The capability the task was routed to. */
  capability: string;
  payload: JsonObject;
  metadata: JsonObject;
  /** 1 for the first attempt. */
  attempt: number;
  /** Stable across retries of one task, so an agent can deduplicate. */
  idempotencyKey: string;
  corrId: string | null;
  /** W3C trace context and correlation headers to carry on. */
  headers: Record<string, string>;
  /** Milliseconds the agent has before the attempt times out. */
  timeoutMs: number;
}

/**
 * What a transport gets besides the request. `signal` is created on first read, so a transport
 * (or an in-process agent) that never looks at it costs no AbortController.
 */
export interface CallContext {
  /** Aborts when the attempt times out or the task is cancelled. */
  readonly signal: AbortSignal;
  /** Whether it has aborted, without creating the signal. */
  readonly aborted: boolean;
  /**
   * Calls `listener` with the reason when the attempt aborts (at once if it has), without creating
   * the signal; returns a function that removes it. For a transport that only needs to stop
   * waiting: an AbortSignal and an EventTarget listener per call cost more than a no-op call.
   */
  onAbort(listener: (reason: unknown) => void): () => void;
}

/** A {@link CallContext} over an existing signal. */
export function callContext(signal: AbortSignal): CallContext {
  return {
    signal,
    get aborted() {
      return signal.aborted;
    },
    onAbort(listener) {
      if (signal.aborted) {
        listener(signal.reason);
        return () => undefined;
      }
      const handler = (): void => listener(signal.reason);
      signal.addEventListener('abort', handler, { once: true });
      return () => signal.removeEventListener('abort', handler);
    },
  };
}

/**
 * How the dispatcher reaches an agent: an in-process function, an HTTP endpoint, a NATS subject,
 * an MCP server. A transport throws a ConclaveError (`AGENT_ERROR`, `TIMEOUT`, …) whose
 * `retryable` says whether another attempt can help.
 */
export interface AgentTransport {
  readonly kind: 'inproc' | 'http' | 'nats' | 'mcp';
  /** Performs one call; should stop promptly and reject when `context.signal` aborts. */
  call(request: AgentRequest, context: CallContext): Promise<unknown>;
  close(): Promise<void>;
}
