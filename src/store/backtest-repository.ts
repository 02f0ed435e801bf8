import type { Kysely, Selectable, Updateable } from 'kysely';
import type { SerializedError } from '../core/errors.ts';
import { ConclaveError, ValidationError } from '../core/errors.ts';
import { toNumber, toNumberOrNull, type BacktestsTable, type Database } from './schema.ts';
import { guard, insertError } from './store-errors.ts';
import { pageOf } from './paging.ts';
import type { BacktestQuery, BacktestRecord, BacktestRepository, BacktestUpdate } from './store.ts';

/** The `backtests` table through kysely (created by migration 0005, `owner` added by 0007). */
export class KyselyBacktestRepository implements BacktestRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(record: BacktestRecord): Promise<void> {
    if (record.id === '') throw new ValidationError('id', 'must be a non-empty string');
    try {
      await this.db
        .insertInto('backtests')
        .values({
          id: record.id,
          strategy_id: record.strategyId,
          status: record.status,
          options: JSON.stringify(record.options),
          summary: jsonOrNull(record.summary),
          artifacts: null,
          manifest: jsonOrNull(record.manifest),
          error: jsonOrNull(record.error),
          created_at: record.createdAt,
          started_at: record.startedAt,
          finished_at: record.finishedAt,
          owner: record.owner,
        })
        .execute();
    } catch (err) {
      throw insertError('backtests.insert', `backtest '${record.id}'`, err, { backtest_id: record.id });
    }
  }

  async update(id: string, update: BacktestUpdate): Promise<void> {
    const set: Updateable<BacktestsTable> = { status: update.status };
    if (update.summary !== undefined) set.summary = JSON.stringify(update.summary);
    if (update.manifest !== undefined) set.manifest = JSON.stringify(update.manifest);
    if (update.artifacts !== undefined) set.artifacts = JSON.stringify(update.artifacts);
    if (update.error !== undefined) set.error = JSON.stringify(update.error);
    if (update.startedAt !== undefined) set.started_at = update.startedAt;
    if (update.finishedAt !== undefined) set.finished_at = update.finishedAt;
    const result = await guard('backtests.update', () =>
      this.db.updateTable('backtests').set(set).where('id', '=', id).executeTakeFirst(),
    );
    if (Number(result.numUpdatedRows) === 0) {
      throw new ConclaveError('NOT_FOUND', `no backtest '${id}'`, { details: { backtest_id: id } });
    }
  }

  get(id: string): Promise<BacktestRecord | undefined> {
    return guard('backtests.get', async () => {
      const row = await this.db
        .selectFrom('backtests')
        .select(RECORD_COLUMNS)
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : fromRow(row);
    });
  }

  getArtifacts(id: string): Promise<Record<string, unknown> | undefined> {
    return guard('backtests.getArtifacts', async () => {
      const row = await this.db
        .selectFrom('backtests')
        .select('artifacts')
        .where('id', '=', id)
        .executeTakeFirst();
      return row?.artifacts == null ? undefined : (JSON.parse(row.artifacts) as Record<string, unknown>);
    });
  }

  async list(query: BacktestQuery = {}): Promise<BacktestRecord[]> {
    const { limit, offset } = pageOf(query);
    return await guard('backtests.list', async () => {
      let q = this.db.selectFrom('backtests').select(RECORD_COLUMNS);
      if (query.strategyId !== undefined) q = q.where('strategy_id', '=', query.strategyId);
      if (query.statuses !== undefined) {
        if (query.statuses.length === 0) return [];
        q = q.where('status', 'in', [...query.statuses]);
      }
      const { owner } = query;
      if (owner !== undefined) q = q.where((eb) => eb.or([eb('owner', '=', owner), eb('owner', 'is', null)]));
      const rows = await q
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .offset(offset)
        .execute();
      return rows.map(fromRow);
    });
  }
}

/** Every column but `artifacts`, which only {@link KyselyBacktestRepository.getArtifacts} reads. */
const RECORD_COLUMNS = [
  'id',
  'strategy_id',
  'status',
  'options',
  'summary',
  'manifest',
  'error',
  'created_at',
  'started_at',
  'finished_at',
  'owner',
] as const;

type RecordRow = Pick<Selectable<BacktestsTable>, (typeof RECORD_COLUMNS)[number]>;

function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

function parseObject(text: string | null): Record<string, unknown> | null {
  return text === null ? null : (JSON.parse(text) as Record<string, unknown>);
}

function fromRow(row: RecordRow): BacktestRecord {
  return {
    id: row.id,
    strategyId: row.strategy_id,
    status: row.status,
    options: JSON.parse(row.options) as Record<string, unknown>,
    summary: parseObject(row.summary),
    manifest: parseObject(row.manifest),
    error: row.error === null ? null : (JSON.parse(row.error) as SerializedError),
    createdAt: toNumber(row.created_at),
    startedAt: toNumberOrNull(row.started_at),
    finishedAt: toNumberOrNull(row.finished_at),
    owner: row.owner,
  };
}
