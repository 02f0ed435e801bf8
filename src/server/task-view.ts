import { z } from 'zod';
import { TASK_STATUSES, type TaskRecord } from '../core/task.ts';
import { isoTime, isoTimeSchema, taskErrorSchema } from './api-schemas.ts';

/** POST /orchestrate's 202 body (and a dead-letter replay's): the task as accepted. */
export const taskAcceptedSchema = z.object({
  task_id: z.string(),
  status: z.enum(TASK_STATUSES),
  agent: z.string().describe('the agent that runs the task, or its routed target until one picks it up'),
  created_at: isoTimeSchema,
  updated_at: isoTimeSchema,
});

/** GET /status/:task_id's body. */
export const taskStatusSchema = taskAcceptedSchema.extend({
  pattern: z.string(),
  priority: z.int().min(1).max(5),
  attempts: z.int().min(0),
  result: z.unknown().describe('the agent result, once completed; null before'),
  error: taskErrorSchema.nullable(),
  execution_time: z.number().nullable().describe('seconds of the successful or last attempt'),
});

/** The accepted-task view of a record. */
export function toTaskAccepted(rec: TaskRecord): z.infer<typeof taskAcceptedSchema> {
  return {
    task_id: rec.id,
    status: rec.status,
    agent: rec.agent ?? rec.target,
    created_at: isoTime(rec.createdAt),
    updated_at: isoTime(rec.updatedAt),
  };
}

/** The status view of a record. */
export function toTaskStatus(rec: TaskRecord): z.infer<typeof taskStatusSchema> {
  return {
    ...toTaskAccepted(rec),
    pattern: rec.pattern,
    priority: rec.priority,
    attempts: rec.attempts,
    result: rec.result ?? null,
    error: rec.error,
    execution_time: rec.executionMs === null ? null : rec.executionMs / 1000,
  };
}
