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
 * How the dispatcher reaches an agent: an in-process function, an HTTP endpoint, a NATS subject,
 * an MCP server. A transport throws a ConclaveError (`AGENT_ERROR`, `TIMEOUT`, …) whose
 * `retryable` says whether another attempt can help.
 */
export interface AgentTransport {
  readonly kind: 'inproc' | 'http' | 'nats' | 'mcp';
  /** Performs one call; must stop promptly and reject when `signal` aborts. */
  call(request: AgentRequest, signal: AbortSignal): Promise<unknown>;
  close(): Promise<void>;
}
