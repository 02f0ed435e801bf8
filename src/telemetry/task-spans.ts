import type { Context, Span } from '@opentelemetry/api';
import type { TaskRecord } from '../core/task.ts';
import { endSpan, injectHeaders, startTraced } from './spans.ts';

interface TaskTrace {
  readonly span: Span;
  readonly context: Context;
  attempt: Span | undefined;
}

/**
 * The spans of the tasks a dispatcher holds: a `dispatch` span per task, from intake to its final
 * state, and an `agent.call` child per attempt whose W3C headers go to the agent.
 * @remarks The dispatcher creates this only once tracing is on, so with tracing off a task costs
 * nothing here. Tasks recovered from the store have no submitter to continue, and no spans.
 */
export class TaskSpans {
  readonly #tasks = new Map<string, TaskTrace>();

  /** Starts the task's `dispatch` span under the active (the submitter's) context. */
  begin(rec: TaskRecord): void {
    const attributes = {
      'conclave.task_id': rec.id,
      'conclave.pattern': rec.pattern,
      'conclave.priority': rec.priority,
      ...(rec.corrId === null ? {} : { 'conclave.corr_id': rec.corrId }),
    };
    const { span, context } = startTraced('dispatch', attributes);
    this.#tasks.set(rec.id, { span, context, attempt: undefined });
  }

  /**
   * Starts an `agent.call` span for the task's current attempt; returns the context to run the call
   * in and the headers for the agent (corr id plus `traceparent`), or undefined for an untraced task.
   */
  attempt(rec: TaskRecord, agent: string): { context: Context; headers: Record<string, string> } | undefined {
    const task = this.#tasks.get(rec.id);
    if (task === undefined) return undefined;
    if (task.attempt !== undefined) endSpan(task.attempt, undefined, { 'conclave.outcome': 'abandoned' });
    const attributes = {
      'conclave.task_id': rec.id,
      'conclave.agent': agent,
      'conclave.attempt': rec.attempts,
      ...(rec.corrId === null ? {} : { 'conclave.corr_id': rec.corrId }),
    };
    const call = startTraced('agent.call', attributes, task.context);
    task.attempt = call.span;
    const headers = injectHeaders(
      rec.corrId === null ? {} : { 'conclave-corr-id': rec.corrId },
      call.context,
    );
    return { context: call.context, headers };
  }

  /** Ends the running attempt's span: outcome `ok`, or the error's code. */
  settled(taskId: string, error: unknown): void {
    const task = this.#tasks.get(taskId);
    if (task?.attempt === undefined) return;
    const outcome = error === undefined ? 'ok' : errorCodeOf(error);
    endSpan(task.attempt, error, { 'conclave.outcome': outcome });
    task.attempt = undefined;
  }

  /** Ends the task's spans with its final status (or `rejected` when intake failed). */
  end(rec: TaskRecord, status: string = rec.status): void {
    const task = this.#tasks.get(rec.id);
    if (task === undefined) return;
    this.#tasks.delete(rec.id);
    if (task.attempt !== undefined) endSpan(task.attempt, undefined, { 'conclave.outcome': 'abandoned' });
    const attributes = { 'conclave.status': status, 'conclave.attempts': rec.attempts };
    endSpan(task.span, status === 'completed' ? undefined : (rec.error ?? status), attributes);
  }

  /** Ends every open span (shutdown: the tasks resume, untraced, on the next start). */
  close(): void {
    for (const task of this.#tasks.values()) {
      if (task.attempt !== undefined) endSpan(task.attempt, undefined, { 'conclave.outcome': 'shutdown' });
      endSpan(task.span, undefined, { 'conclave.status': 'suspended' });
    }
    this.#tasks.clear();
  }
}

function errorCodeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return 'error';
}
