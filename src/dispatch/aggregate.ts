import { FINAL_TASK_STATUSES, type TaskRecord } from '../core/task.ts';
import type { AggregateResult } from './dispatcher-types.ts';

/**
 * Totals, results and errors over a set of tasks (the Learn Your Way document's POST /aggregate).
 * `lookup` returns the current record of each id (live or stored).
 */
export async function aggregateTasks(
  taskIds: readonly string[],
  lookup: (id: string) => Promise<TaskRecord | undefined>,
): Promise<AggregateResult> {
  const unique = [...new Set(taskIds)];
  const records = await Promise.all(unique.map(lookup));
  const out: AggregateResult = {
    total_tasks: unique.length,
    completed: 0,
    failed: 0,
    pending: 0,
    not_found: [],
    results: [],
    errors: [],
  };
  records.forEach((rec, i) => {
    if (rec === undefined) {
      out.not_found.push(unique[i]!);
      return;
    }
    if (!FINAL_TASK_STATUSES.has(rec.status)) {
      out.pending++;
    } else if (rec.status === 'completed') {
      out.completed++;
      out.results.push({
        task_id: rec.id,
        agent: rec.agent,
        result: rec.result,
        execution_time: rec.executionMs === null ? null : rec.executionMs / 1000,
      });
    } else {
      out.failed++;
      out.errors.push({
        task_id: rec.id,
        agent: rec.agent,
        status: rec.status,
        error: rec.error?.message ?? 'unknown error',
        code: rec.error?.code ?? 'INTERNAL',
      });
    }
  });
  return out;
}
