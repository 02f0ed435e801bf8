import type { TimerHandle } from '../core/clock.ts';
import { newId } from '../core/ids.ts';
import type { DeadLetterRecord, JsonObject, TaskRecord } from '../core/task.ts';
import type { AgentSlot } from './agent-slot.ts';
import type { AttemptContext } from './attempt-context.ts';
import type { DispatcherOptions } from './dispatcher-types.ts';
import type { Route } from './routing.ts';
import type { SubmitInput } from './submit-schema.ts';

/** `done`: final state reached; `released`: and committed, so forgotten. */
export type LiveState = 'committing' | 'queued' | 'parked' | 'running' | 'retry_wait' | 'done' | 'released';

/** A task the dispatcher is holding: its record (the current truth) and its runtime handles. */
export interface Live {
  rec: TaskRecord;
  route: Route;
  state: LiveState;
  /** Bumped on every attempt; callbacks of an older attempt are ignored. */
  attemptSeq: number;
  attemptStartedAt: number;
  /** When the running attempt times out (epoch ms). */
  deadline: number;
  slot: AgentSlot | null;
  context: AttemptContext | null;
  /** The retry backoff timer. */
  timer: TimerHandle | null;
  cancelReason: string | null;
  waiters: ((rec: TaskRecord) => void)[] | null;
}

const EMPTY: JsonObject = Object.freeze({});

/** A new task's record: the submission's values, then the route's, then the dispatcher's defaults. */
export function newTaskRecord(
  id: string,
  task: SubmitInput,
  route: Route,
  defaults: Pick<DispatcherOptions, 'defaultPriority' | 'maxRetries' | 'defaultTimeoutMs'>,
  now: number,
): TaskRecord {
  return {
    id,
    pattern: task.pattern,
    target: route.target,
    payload: task.payload,
    metadata: task.metadata ?? EMPTY,
    priority: task.priority ?? route.priority ?? defaults.defaultPriority,
    status: 'queued',
    attempts: 0,
    maxRetries: task.maxRetries ?? route.maxRetries ?? defaults.maxRetries,
    timeoutMs: task.timeoutMs ?? route.timeoutMs ?? defaults.defaultTimeoutMs,
    corrId: task.corrId ?? null,
    callbackUrl: task.callbackUrl ?? null,
    agent: null,
    result: null,
    error: null,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    finishedAt: null,
    executionMs: null,
  };
}

/** The runtime entry for a task record (queued until told otherwise). */
export function newLive(rec: TaskRecord, route: Route | null): Live {
  return {
    rec,
    route: route as Route,
    state: 'queued',
    attemptSeq: 0,
    attemptStartedAt: 0,
    deadline: 0,
    slot: null,
    context: null,
    timer: null,
    cancelReason: null,
    waiters: null,
  };
}

/** The dead letter for a task that has just ended `dead_lettered`. */
export function deadLetterFor(rec: TaskRecord, now: number): DeadLetterRecord {
  return {
    id: newId('dlq'),
    taskId: rec.id,
    pattern: rec.pattern,
    target: rec.target,
    payload: rec.payload,
    metadata: rec.metadata,
    priority: rec.priority,
    corrId: rec.corrId,
    agent: rec.agent,
    attempts: rec.attempts,
    error: rec.error!,
    deadAt: now,
    replayedTaskId: null,
    replayedAt: null,
  };
}
