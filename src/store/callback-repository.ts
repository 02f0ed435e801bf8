import type { Kysely, Selectable } from 'kysely';
import { ConclaveError, ValidationError } from '../core/errors.ts';
import { toNumber, type CallbackDeliveriesTable, type Database } from './schema.ts';
import { guard, insertError } from './store-errors.ts';
import { pageOf } from './paging.ts';
import type {
  CallbackDeliveryRecord,
  CallbackDeliveryUpdate,
  CallbackRepository,
  PendingCallbackQuery,
} from './store.ts';

/** The `callback_deliveries` table through kysely (created by migration 0006, `owner` added by 0007). */
export class KyselyCallbackRepository implements CallbackRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(record: CallbackDeliveryRecord): Promise<void> {
    if (record.id === '') throw new ValidationError('id', 'must be a non-empty string');
    try {
      await this.db
        .insertInto('callback_deliveries')
        .values({
          id: record.id,
          task_id: record.taskId,
          corr_id: record.corrId,
          url: record.url,
          event: record.event,
          body: record.body,
          status: record.status,
          attempts: record.attempts,
          last_status: record.lastStatus,
          error: record.error,
          created_at: record.createdAt,
          updated_at: record.updatedAt,
          owner: record.owner,
        })
        .execute();
    } catch (err) {
      throw insertError('callbacks.insert', `callback delivery '${record.id}'`, err, {
        delivery_id: record.id,
      });
    }
  }

  async update(id: string, update: CallbackDeliveryUpdate): Promise<void> {
    const result = await guard('callbacks.update', () =>
      this.db
        .updateTable('callback_deliveries')
        .set({
          status: update.status,
          attempts: update.attempts,
          last_status: update.lastStatus,
          error: update.error,
          updated_at: update.updatedAt,
        })
        .where('id', '=', id)
        .executeTakeFirst(),
    );
    if (Number(result.numUpdatedRows) === 0) {
      throw new ConclaveError('NOT_FOUND', `no callback delivery '${id}'`, { details: { delivery_id: id } });
    }
  }

  get(id: string): Promise<CallbackDeliveryRecord | undefined> {
    return guard('callbacks.get', async () => {
      const row = await this.db
        .selectFrom('callback_deliveries')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : fromRow(row);
    });
  }

  async listPending(query: PendingCallbackQuery = {}): Promise<CallbackDeliveryRecord[]> {
    const { limit, offset } = pageOf(query);
    const { owner } = query;
    return await guard('callbacks.listPending', async () => {
      let q = this.db.selectFrom('callback_deliveries').selectAll().where('status', '=', 'pending');
      if (owner !== undefined) q = q.where((eb) => eb.or([eb('owner', '=', owner), eb('owner', 'is', null)]));
      const rows = await q.orderBy('created_at').orderBy('id').limit(limit).offset(offset).execute();
      return rows.map(fromRow);
    });
  }
}

function fromRow(row: Selectable<CallbackDeliveriesTable>): CallbackDeliveryRecord {
  return {
    id: row.id,
    taskId: row.task_id,
    corrId: row.corr_id,
    url: row.url,
    event: row.event,
    body: row.body,
    status: row.status,
    attempts: Number(row.attempts),
    lastStatus: row.last_status === null ? null : Number(row.last_status),
    error: row.error,
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
    owner: row.owner,
  };
}
