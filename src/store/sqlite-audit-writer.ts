import { AUDIT_COLUMNS, type AuditBatchWriter, type AuditRow } from './audit-repository.ts';
import type { SqliteExecutor, SqliteStatementCatalog } from './sqlite-batch-writer.ts';
import { SqliteOps } from './sqlite-ops.ts';

/**
 * Audit appends on the same SQLite hot path: one prepared INSERT per row, run by the shared
 * executor, so a decision stream's audit trail is written on the writer thread in large batches.
 */
export class SqliteAuditWriter implements AuditBatchWriter {
  readonly #insert: number;

  constructor(
    private readonly catalog: SqliteStatementCatalog,
    private readonly executor: SqliteExecutor,
  ) {
    this.#insert = catalog.insert('audit_entries', AUDIT_COLUMNS);
  }

  write(rows: readonly AuditRow[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    const ops = new SqliteOps();
    for (const r of rows) {
      ops
        .begin(this.#insert, AUDIT_COLUMNS.length)
        .push(r.id, r.at, r.kind, r.corr_id ?? null, r.actor, r.data);
    }
    return this.executor.run(this.catalog.sql, ops);
  }
}
