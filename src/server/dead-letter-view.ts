import { z } from 'zod';
import type { DeadLetterRecord } from '../core/task.ts';
import { isoTime, isoTimeOrNull, isoTimeSchema, jsonObjectSchema, taskErrorSchema } from './api-schemas.ts';

/** One dead letter as the API shows it. */
export const deadLetterSchema = z.object({
  id: z.string(),
  task_id: z.string(),
  pattern: z.string(),
  target: z.string(),
  payload: jsonObjectSchema,
  metadata: jsonObjectSchema,
  priority: z.int(),
  corr_id: z.string().nullable(),
  agent: z.string().nullable(),
  attempts: z.int(),
  error: taskErrorSchema,
  dead_at: isoTimeSchema,
  replayed_task_id: z.string().nullable(),
  replayed_at: isoTimeSchema.nullable(),
});

/** The API view of a dead letter. */
export function toDeadLetterView(letter: DeadLetterRecord): z.infer<typeof deadLetterSchema> {
  return {
    id: letter.id,
    task_id: letter.taskId,
    pattern: letter.pattern,
    target: letter.target,
    payload: letter.payload,
    metadata: letter.metadata,
    priority: letter.priority,
    corr_id: letter.corrId,
    agent: letter.agent,
    attempts: letter.attempts,
    error: letter.error,
    dead_at: isoTime(letter.deadAt),
    replayed_task_id: letter.replayedTaskId,
    replayed_at: isoTimeOrNull(letter.replayedAt),
  };
}
