import type { Kysely, Selectable } from 'kysely';
import type { AuditEntry, AuditQuery } from '../core/audit.ts';
import { ConclaveError, ValidationError } from '../core/errors.ts';
import { toNumber, type AuditEntriesTable, type Database } from './schema.ts';
import { guard, isUniqueViolation, storeError } from './store-errors.ts';
import type { AuditRepository } from './store.ts';

const DEFAULT_LIMIT = 100;

/** The `audit_entries` table through kysely (created by migration 0004). */
export class KyselyAuditRepository implements AuditRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async append(entry: AuditEntry): Promise<void> {
    const data = JSON.stringify(entry.data);
    if (data === undefined)
      throw new ValidationError('data', `audit entry '${entry.id}' must hold a JSON value`);
    try {
      await this.db
        .insertInto('audit_entries')
        .values({
          id: entry.id,
          at: entry.at,
          kind: entry.kind,
          corr_id: entry.corrId,
          actor: entry.actor,
          data,
        })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new ConclaveError('CONFLICT', `audit entry '${entry.id}' already exists`, { cause: err });
      }
      throw storeError('audit.append', err);
    }
  }

  async list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new ValidationError('limit', `must be a positive integer, got ${String(limit)}`);
    }
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
