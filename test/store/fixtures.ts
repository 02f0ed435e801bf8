import { randomUUID } from 'node:crypto';
import type { DeadLetterRecord, TaskRecord, TaskUpdate } from '../../src/core/task.ts';

/** A fresh id, unique across runs and stores sharing a server. */
export function uid(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

/** A queued task with every optional field empty; `overrides` win. */
export function makeTask(overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id: uid('task'),
    pattern: 'momentum.analyze',
    target: 'momentum',
    payload: { symbol: 'AAPL', qty: 100 },
    metadata: {},
    priority: 3,
    status: 'queued',
    attempts: 0,
    maxRetries: 3,
    timeoutMs: 30_000,
    corrId: null,
    callbackUrl: null,
    agent: null,
    result: null,
    error: null,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    startedAt: null,
    finishedAt: null,
    executionMs: null,
    ...overrides,
  };
}

/** A task with every field set, to non-trivial values. */
export function makeFullTask(overrides: Partial<TaskRecord> = {}): TaskRecord {
  return makeTask({
    pattern: 'risk.assess',
    target: 'risk-agent-β',
    payload: {
      symbol: 'BRK.B',
      legs: [
        { side: 'buy', qty: 10, px: 412.37 },
        { side: 'sell', qty: -3.5e-7, px: null },
      ],
      note: 'naïve café — 株式 📈 "quoted" \\ back\nslash',
      nested: { deep: { deeper: { flag: true, empty: {}, list: [] } } },
    },
    metadata: { source: 'test', tags: ['a', 'b'], 'key with spaces': 'ü' },
    priority: 5,
    status: 'failed',
    attempts: 4,
    maxRetries: 7,
    timeoutMs: 86_400_000 * 30,
    corrId: uid('corr'),
    callbackUrl: 'https://example.test/hook?x=1&y=ü',
    agent: 'risk-1',
    result: { partial: [1, 2.5, 'three', null, { four: 4 }] },
    error: { code: 'AGENT_ERROR', message: 'boom — ⚠', retryable: true, details: { attempt: 4, ids: ['x'] } },
    // 2100-01-01 and the largest epoch ms a Date can hold: beyond 32 bits, exact as doubles.
    createdAt: 4_102_444_800_000,
    updatedAt: 8_640_000_000_000_000,
    startedAt: 4_102_444_800_123,
    finishedAt: Number.MAX_SAFE_INTEGER,
    executionMs: 1234.5678,
    ...overrides,
  });
}

/** The final-state update a dispatcher writes when `task` completes. */
export function completion(task: TaskRecord, at: number, overrides: Partial<TaskUpdate> = {}): TaskUpdate {
  return {
    id: task.id,
    status: 'completed',
    attempts: task.attempts + 1,
    updatedAt: at,
    agent: 'momentum-1',
    result: { score: 0.73, signal: 'long' },
    startedAt: at - 5,
    finishedAt: at,
    executionMs: 4.25,
    ...overrides,
  };
}

/** A dead letter for a task, not replayed. */
export function makeDeadLetter(overrides: Partial<DeadLetterRecord> = {}): DeadLetterRecord {
  return {
    id: uid('dl'),
    taskId: uid('task'),
    pattern: 'execution.route',
    target: 'execution',
    payload: { order: { symbol: 'MSFT', qty: 5 }, text: 'Ω≈ç√ 🚀' },
    metadata: { origin: 'dispatcher' },
    priority: 4,
    corrId: uid('corr'),
    agent: 'execution-2',
    attempts: 3,
    error: {
      code: 'TIMEOUT',
      message: 'no answer in 30000 ms',
      retryable: true,
      details: { timeoutMs: 30000 },
    },
    deadAt: 1_700_000_100_000,
    replayedTaskId: null,
    replayedAt: null,
    ...overrides,
  };
}
