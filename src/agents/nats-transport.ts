import { HEADER, type Bus, type BusMessage, type Headers } from '../bus/bus.ts';
import { ConclaveError, isConclaveError } from '../core/errors.ts';
import { copyRecord } from '../core/records.ts';
import { AGENT_SUBJECTS, IDEMPOTENCY_HEADER, unwrapReply, type AgentCallBody } from './nats-protocol.ts';
import type { AgentRequest, AgentTransport, CallContext } from './transport.ts';

/** Options for {@link NatsTransport}. */
export interface NatsTransportOptions {
  /** The bus the request goes over (a `NatsBus` in the distributed shape). */
  bus: Bus;
  /** The agent's name: calls go to `agents.<name>.call`. */
  agent: string;
  /** Overrides the subject (default `agents.<agent>.call`). */
  subject?: string;
}

/**
 * Reaches a remote agent by request/reply on its NATS subject. Every copy of the agent serves that
 * subject in one queue group, so N copies share the load and NATS picks one per call.
 * @remarks It talks to the `Bus` interface rather than to nats.js, so the same transport runs on
 * the in-process bus in tests. The attempt's timeout is the request's timeout and its abort signal
 * cancels the wait. `NO_RESPONDERS` (no copy is listening) becomes a retryable
 * `AGENT_UNAVAILABLE`; the agent's own errors come back with its code and retryability. Headers
 * carry corr id, trace context and the idempotency key, so a copy can drop a repeated attempt.
 */
export class NatsTransport implements AgentTransport {
  readonly kind = 'nats' as const;
  readonly #bus: Bus;
  readonly #agent: string;
  readonly #subject: string;
  #closed = false;

  constructor(options: NatsTransportOptions) {
    this.#bus = options.bus;
    this.#agent = options.agent;
    this.#subject = options.subject ?? AGENT_SUBJECTS.call(options.agent);
  }

  /** The subject calls are requested on. */
  get subject(): string {
    return this.#subject;
  }

  async call(request: AgentRequest, context: CallContext): Promise<unknown> {
    if (this.#closed) {
      throw new ConclaveError('AGENT_UNAVAILABLE', `NATS transport to agent '${this.#agent}' is closed`, {
        details: { agent: this.#agent, taskId: request.taskId },
      });
    }
    const body: AgentCallBody = {
      task_id: request.taskId,
      pattern: request.pattern,
      capability: request.capability,
      payload: request.payload,
      metadata: request.metadata,
      attempt: request.attempt,
      idempotency_key: request.idempotencyKey,
      corr_id: request.corrId,
      timeout_ms: request.timeoutMs,
    };
    const headers: Headers = copyRecord(request.headers); // not a spread: see core/records.ts
    headers[IDEMPOTENCY_HEADER] = request.idempotencyKey;
    if (request.corrId !== null) headers[HEADER.corrId] = request.corrId;
    let reply;
    try {
      reply = await this.#request(body, headers, request.timeoutMs, context);
    } catch (err) {
      throw this.#mapError(err, request);
    }
    return unwrapReply(this.#agent, reply.data);
  }

  /**
   * The request, given up (`CANCELLED`) when the attempt aborts. The bus request itself is left to
   * end on its own (a late reply is dropped; its timeout frees it): listening through `onAbort`
   * costs no AbortSignal per call.
   */
  #request(
    body: AgentCallBody,
    headers: Headers,
    timeoutMs: number,
    context: CallContext,
  ): Promise<BusMessage> {
    if (context.aborted) {
      return new Promise<BusMessage>((_resolve, reject) =>
        context.onAbort((reason) => reject(cancelled(this.#subject, reason))),
      );
    }
    const sent = this.#bus.request(this.#subject, body, { timeoutMs, headers });
    return new Promise<BusMessage>((resolve, reject) => {
      const off = context.onAbort((reason) => reject(cancelled(this.#subject, reason)));
      sent.then(
        (reply) => {
          off();
          resolve(reply);
        },
        (error: unknown) => {
          off();
          // Kept as thrown, so #mapError can tell a bus failure (retryable AGENT_ERROR) apart.
          reject(
            error instanceof Error
              ? error
              : new ConclaveError('AGENT_ERROR', String(error), { retryable: true }),
          );
        },
      );
    });
  }

  /** Refuses further calls; calls in flight finish or time out on their own. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #mapError(err: unknown, request: AgentRequest): ConclaveError {
    const details = { agent: this.#agent, subject: this.#subject, taskId: request.taskId };
    if (isConclaveError(err) && err.code === 'NO_RESPONDERS') {
      return new ConclaveError(
        'AGENT_UNAVAILABLE',
        `no copy of agent '${this.#agent}' is listening on ${this.#subject}`,
        {
          cause: err,
          retryable: true,
          details,
        },
      );
    }
    if (isConclaveError(err)) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new ConclaveError('AGENT_ERROR', `call to agent '${this.#agent}' failed: ${message}`, {
      cause: err,
      retryable: true,
      details,
    });
  }
}

function cancelled(subject: string, reason: unknown): ConclaveError {
  return new ConclaveError('CANCELLED', `request to "${subject}" aborted`, { cause: reason });
}
