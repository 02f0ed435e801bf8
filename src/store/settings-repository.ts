import type { Kysely, Selectable } from 'kysely';
import type { SettingEntry, SettingRecord } from '../core/audit.ts';
import { ValidationError } from '../core/errors.ts';
import { toNumber, type Database, type SettingsTable } from './schema.ts';
import { guard } from './store-errors.ts';
import type { SettingsRepository } from './store.ts';

/** The `settings` table through kysely (created by migration 0004). */
export class KyselySettingsRepository implements SettingsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  get(key: string): Promise<SettingRecord | undefined> {
    return guard('settings.get', async () => {
      const row = await this.db.selectFrom('settings').selectAll().where('key', '=', key).executeTakeFirst();
      return row === undefined ? undefined : fromRow(row);
    });
  }

  async set(key: string, value: unknown, by: string | null, at: number = Date.now()): Promise<void> {
    if (key === '') throw new ValidationError('key', 'must be a non-empty string');
    const text = JSON.stringify(value);
    if (text === undefined) throw new ValidationError('value', `setting '${key}' must be a JSON value`);
    await guard('settings.set', async () => {
      await this.db
        .insertInto('settings')
        .values({ key, value: text, updated_at: at, updated_by: by })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: text, updated_at: at, updated_by: by }))
        .execute();
    });
  }

  list(prefix?: string): Promise<SettingEntry[]> {
    return guard('settings.list', async () => {
      const rows = await this.db.selectFrom('settings').selectAll().orderBy('key').execute();
      // Filtered here rather than with LIKE: keys may hold `%` or `_`, and listings are small.
      return rows
        .filter((r) => prefix === undefined || r.key.startsWith(prefix))
        .map((r) => ({ key: r.key, ...fromRow(r) }));
    });
  }
}

function fromRow(row: Pick<Selectable<SettingsTable>, 'value' | 'updated_at' | 'updated_by'>): SettingRecord {
  return {
    value: JSON.parse(row.value) as unknown,
    updatedAt: toNumber(row.updated_at),
    updatedBy: row.updated_by,
  };
}
