import type { Insertable, Kysely, Selectable } from 'kysely';
import type { AuditEntry, AuditQuery } from '../core/audit.ts';
import type { ConclaveError } from '../core/errors.ts';
import { ValidationError } from '../core/errors.ts';
import { toNumber, type AuditEntriesTable, type Database } from './schema.ts';
import { pageOf } from './paging.ts';
import { guard, insertError, isUniqueViolation } from './store-errors.ts';
import type { AuditRepository } from './store.ts';

/** Rows per multi-row INSERT: 6 parameters each, well under SQLite's bound-parameter limit. */
const ROWS_PER_STATEMENT = 500;

/** An `audit_entries` row as written. */
export type AuditRow = Insertable<AuditEntriesTable>;

/** Every `audit_entries` column, in table order. */
export const AUDIT_COLUMNS = ['id', 'at', 'kind', 'corr_id', 'actor', 'data'] as const;

/** Writes a batch of audit rows in one transaction, all or nothing. */
export interface AuditBatchWriter {
  write(rows: readonly AuditRow[]): Promise<void>;
}

/** The portable writer: multi-row INSERTs built by kysely, in one transaction. */
export class KyselyAuditWriter implements AuditBatchWriter {
  constructor(private readonly db: Kysely<Database>) {}

  async write(rows: readonly AuditRow[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
        await trx
          .insertInto('audit_entries')
          .values(rows.slice(i, i + ROWS_PER_STATEMENT))
          .execute();
      }
    });
  }
}

interface PendingAppend {
  row: AuditRow;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The `audit_entries` table through kysely (created by migration 0004).
 * @remarks Appends are group-committed: those made in the same turn of the event loop share one
 * transaction of multi-row inserts, and each resolves once that commits. A decision stream audits
 * thousands of entries a second; a transaction each would cap it far below that. A batch refused
 * for a duplicate id is retried entry by entry, so only the duplicate fails.
 */
export class KyselyAuditRepository implements AuditRepository {
  #pending: PendingAppend[] = [];
  #scheduled = false;
  readonly #writer: AuditBatchWriter;

  constructor(
    private readonly db: Kysely<Database>,
    writer?: AuditBatchWriter,
  ) {
    this.#writer = writer ?? new KyselyAuditWriter(db);
  }

  append(entry: AuditEntry): Promise<void> {
    const data = JSON.stringify(entry.data);
    if (data === undefined) {
      return Promise.reject(new ValidationError('data', `audit entry '${entry.id}' must hold a JSON value`));
    }
    const row: AuditRow = {
      id: entry.id,
      at: entry.at,
      kind: entry.kind,
      corr_id: entry.corrId,
      actor: entry.actor,
      data,
    };
    return new Promise((resolve, reject) => {
      this.#pending.push({ row, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    try {
      await this.#writer.write(batch.map((p) => p.row));
      for (const p of batch) p.resolve();
    } catch (err) {
      if (batch.length > 1 && isUniqueViolation(err)) {
        for (const p of batch) await this.#insertOne(p);
        return;
      }
      for (const p of batch) p.reject(appendError(p.row.id, err));
    }
  }

  async #insertOne(p: PendingAppend): Promise<void> {
    try {
      await this.#writer.write([p.row]);
      p.resolve();
    } catch (err) {
      p.reject(appendError(p.row.id, err));
    }
  }

  async list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const { limit } = pageOf(query);
    return guard('audit.list', async () => {
      let q = this.db.selectFrom('audit_entries').selectAll();
      if (query.kind !== undefined) q = q.where('kind', '=', query.kind);
      if (query.corrId !== undefined) q = q.where('corr_id', '=', query.corrId);
      if (query.before !== undefined) q = q.where('at', '<', query.before);
      const rows = await q.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(fromRow);
    });
  }
}

function fromRow(row: Selectable<AuditEntriesTable>): AuditEntry {
  return {
    id: row.id,
    at: toNumber(row.at),
    kind: row.kind,
    corrId: row.corr_id,
    actor: row.actor,
    data: JSON.parse(row.data) as unknown,
  };
}

function appendError(id: string, err: unknown): ConclaveError {
  return insertError('audit.append', `audit entry '${id}'`, err);
}
