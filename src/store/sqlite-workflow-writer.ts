import type { SqliteExecutor, SqliteStatementCatalog } from './sqlite-batch-writer.ts';
import { SqliteOps } from './sqlite-ops.ts';
import type { WorkflowOp } from './store.ts';
import type { WorkflowBatchWriter } from './workflow-repository.ts';
import { EVENT_COLUMNS, RUN_COLUMNS, toEventRow, toRunRow, toRunUpdateRow } from './workflow-rows.ts';

/**
 * The workflow journal's SQLite hot path: the same statements kysely would build, compiled once,
 * prepared once, and run by the task writer's executor (so task and journal batches commit in
 * one order, on the writer thread when they are large).
 */
export class SqliteWorkflowWriter implements WorkflowBatchWriter {
  readonly #insertRun: number;
  readonly #insertEvent: number;

  constructor(
    private readonly catalog: SqliteStatementCatalog,
    private readonly executor: SqliteExecutor,
  ) {
    this.#insertRun = catalog.insert('workflow_runs', RUN_COLUMNS);
    this.#insertEvent = catalog.insert('workflow_events', EVENT_COLUMNS);
  }

  write(ops: readonly WorkflowOp[]): Promise<void> {
    const out = new SqliteOps();
    for (const op of ops) {
      if (op.kind === 'event') {
        const row = toEventRow(op.event) as Record<string, unknown>;
        out.add(
          this.#insertEvent,
          EVENT_COLUMNS.map((c) => row[c] ?? null),
        );
      } else if (op.kind === 'insert') {
        const row = toRunRow(op.run) as Record<string, unknown>;
        out.add(
          this.#insertRun,
          RUN_COLUMNS.map((c) => row[c] ?? null),
        );
      } else {
        const row = toRunUpdateRow(op.update) as Record<string, unknown>;
        const columns = Object.keys(row).sort();
        out.add(this.catalog.update('workflow_runs', columns), [
          ...columns.map((c) => row[c] ?? null),
          op.id,
        ]);
      }
    }
    if (out.count === 0) return Promise.resolve();
    return this.executor.run(this.catalog.sql, out);
  }
}
