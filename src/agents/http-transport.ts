import { systemClock } from '../core/clock.ts';
import type { Clock } from '../core/clock.ts';
import { ConclaveError, ValidationError } from '../core/errors.ts';
import { raceAbort } from './abortable.ts';
import type { AgentRequest, AgentTransport, CallContext } from './transport.ts';

/** Options for {@link HttpTransport}. */
export interface HttpTransportOptions {
  /** The agent's URL (http or https); every call POSTs here. */
  endpoint: string;
  /** Sent with every call (e.g. an API key); a request's own headers win on a clash. */
  headers?: Record<string, string>;
  /** Default: the global fetch. Injected for tests and custom agents. */
  fetch?: typeof fetch;
  /** Reads "now" for an HTTP-date `Retry-After`. Default: the system clock. */
  clock?: Clock;
}

/** The JSON body an HTTP agent receives: the {@link AgentRequest} in snake_case, without headers. */
export interface HttpAgentRequestBody {
  task_id: string;
  pattern: string;
  capability: string;
  payload: AgentRequest['payload'];
  metadata: AgentRequest['metadata'];
  attempt: number;
  idempotency_key: string;
  corr_id: string | null;
  timeout_ms: number;
}

const EXCERPT_CHARS = 200;

/**
 * Reaches an agent over HTTP: POSTs an {@link HttpAgentRequestBody} as JSON and resolves with the
 * whole parsed JSON response body (an empty 2xx body resolves to `null`).
 * @remarks Failures map to codes the dispatcher can act on: 5xx, 408 and 429 are retryable
 * `AGENT_ERROR`s (429 carries `details.retryAfterMs` from `Retry-After`), other statuses are
 * non-retryable `AGENT_ERROR`s, an unreachable endpoint is a retryable `AGENT_UNAVAILABLE`, a 2xx
 * body that is not JSON is a non-retryable `AGENT_ERROR`, and abort is `CANCELLED`. The request's
 * `Idempotency-Key` header lets the agent drop a retried attempt it already performed.
 */
export class HttpTransport implements AgentTransport {
  readonly kind = 'http' as const;
  /** The URL calls go to. */
  readonly endpoint: string;
  readonly #headers: Record<string, string>;
  readonly #fetch: typeof fetch;
  readonly #clock: Clock;
  #closed = false;

  constructor(options: HttpTransportOptions) {
    this.endpoint = checkEndpoint(options.endpoint);
    this.#headers = { ...(options.headers ?? {}) };
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#clock = options.clock ?? systemClock;
  }

  async call(request: AgentRequest, context: CallContext): Promise<unknown> {
    const signal = context.signal;
    if (this.#closed) {
      throw new ConclaveError('AGENT_UNAVAILABLE', `HTTP transport for ${this.endpoint} is closed`, {
        details: { endpoint: this.endpoint },
      });
    }
    const onAbort = (): ConclaveError =>
      new ConclaveError('CANCELLED', `call to ${this.endpoint} for task ${request.taskId} was cancelled`, {
        cause: signal.reason,
        details: { endpoint: this.endpoint, taskId: request.taskId },
      });

    let response: Response;
    try {
      const init = {
        method: 'POST',
        headers: this.#requestHeaders(request),
        body: JSON.stringify(toBody(request)),
        signal,
      };
      response = await raceAbort(this.#fetch(this.endpoint, init), signal, onAbort);
    } catch (err) {
      if (signal.aborted) throw onAbort();
      throw new ConclaveError(
        'AGENT_UNAVAILABLE',
        `cannot reach agent at ${this.endpoint}: ${describe(err)}`,
        {
          cause: err,
          retryable: true,
          details: { endpoint: this.endpoint },
        },
      );
    }

    let text: string;
    try {
      text = await raceAbort(response.text(), signal, onAbort);
    } catch (err) {
      if (signal.aborted) throw onAbort();
      throw new ConclaveError(
        'AGENT_ERROR',
        `agent at ${this.endpoint} dropped the connection while answering (status ${response.status}): ${describe(err)}`,
        { cause: err, retryable: true, details: { endpoint: this.endpoint, status: response.status } },
      );
    }

    if (!response.ok) throw this.#statusError(response, text);
    if (text.trim() === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new ConclaveError(
        'AGENT_ERROR',
        `agent at ${this.endpoint} returned invalid JSON (status ${response.status}): ${excerpt(text)}`,
        { cause: err, retryable: false, details: { endpoint: this.endpoint, status: response.status } },
      );
    }
  }

  /** Refuses further calls. Connections are pooled by fetch and need no closing here. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #requestHeaders(request: AgentRequest): Headers {
    const headers = new Headers({ accept: 'application/json' });
    for (const [k, v] of Object.entries(this.#headers)) headers.set(k, v);
    for (const [k, v] of Object.entries(request.headers)) headers.set(k, v);
    headers.set('content-type', 'application/json');
    headers.set('idempotency-key', request.idempotencyKey);
    return headers;
  }

  #statusError(response: Response, text: string): ConclaveError {
    const { status } = response;
    const retryable = status >= 500 || status === 408 || status === 429;
    const details: Record<string, unknown> = { endpoint: this.endpoint, status, body: excerpt(text) };
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.#clock.now());
      if (retryAfterMs !== undefined) details['retryAfterMs'] = retryAfterMs;
    }
    const label = response.statusText === '' ? `${status}` : `${status} ${response.statusText}`;
    return new ConclaveError('AGENT_ERROR', `agent at ${this.endpoint} answered ${label}: ${excerpt(text)}`, {
      retryable,
      details,
    });
  }
}

/**
 * Milliseconds to wait from a `Retry-After` header (delay-seconds or an HTTP-date), or undefined
 * when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function toBody(r: AgentRequest): HttpAgentRequestBody {
  return {
    task_id: r.taskId,
    pattern: r.pattern,
    capability: r.capability,
    payload: r.payload,
    metadata: r.metadata,
    attempt: r.attempt,
    idempotency_key: r.idempotencyKey,
    corr_id: r.corrId,
    timeout_ms: r.timeoutMs,
  };
}

function checkEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ValidationError(
      'endpoint',
      `${JSON.stringify(endpoint)} is not a URL; use http(s)://host:port/path`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ValidationError('endpoint', `${JSON.stringify(endpoint)} must use http or https`);
  }
  return url.href;
}

/** The first characters of a body, on one line, for error messages. */
function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return '(empty body)';
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat;
}

/** A short reason from a fetch failure, preferring the system error code (ECONNREFUSED, …). */
function describe(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error && 'code' in cause && typeof cause.code === 'string') return cause.code;
  return err instanceof Error ? err.message : String(err);
}
