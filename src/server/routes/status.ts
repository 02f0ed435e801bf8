import { z } from 'zod';
import type { Conclave } from '../../conclave.ts';
import { ConclaveError } from '../../core/errors.ts';
import { errorResponses, idSchema } from '../api-schemas.ts';
import type { ConclaveServer } from '../server-types.ts';
import { taskStatusSchema, toTaskStatus } from '../task-view.ts';

/** GET /status/:task_id: the task's current record (live state first, then the store). */
export function statusRoute(app: ConclaveServer, conclave: Conclave): void {
  app.get(
    '/status/:task_id',
    {
      schema: {
        summary: 'Get a task’s execution status',
        tags: ['tasks'],
        params: z.strictObject({ task_id: idSchema }),
        response: { 200: taskStatusSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const { task_id: taskId } = request.params;
      const task = await conclave.dispatcher.get(taskId);
      if (task === undefined) {
        throw new ConclaveError('NOT_FOUND', `task '${taskId}' does not exist`, {
          details: { field: 'task_id', value: taskId },
        });
      }
      return toTaskStatus(task);
    },
  );
}
