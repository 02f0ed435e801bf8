import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/core/audit.ts';
import { isConclaveError } from '../../src/core/errors.ts';
import { openSqliteStore, type KyselyStore } from '../../src/store/index.ts';
import { suiteName } from '../support/services.ts';
import { postgresSchemas, probePostgres } from '../support/postgres.ts';

function entry(id: string, at: number, kind: string, corrId: string | null = null): AuditEntry {
  return { id, at, kind, corrId, actor: 'ops', data: { n: at, nested: { ok: true } } };
}

function settingsAuditContract(name: string, open: () => Promise<KyselyStore>): void {
  describe(`settings and audit (${name})`, () => {
    let store: KyselyStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('stores any JSON value per key and records the last writer', async () => {
      expect(await store.settings.get('trading.emergency_stop')).toBeUndefined();
      await store.settings.set(
        'trading.emergency_stop',
        { active: true, reason: 'flash crash' },
        'ops',
        1000,
      );
      await store.settings.set('trading.emergency_stop', { active: false }, 'risk', 2000);
      await store.settings.set('discovery.strategy', 'hybrid_v1', null, 1500);
      await store.settings.set('flag', false, null, 1);
      expect(await store.settings.get('trading.emergency_stop')).toEqual({
        value: { active: false },
        updatedAt: 2000,
        updatedBy: 'risk',
      });
      expect((await store.settings.get('flag'))?.value).toBe(false);
      expect((await store.settings.list('trading.')).map((s) => s.key)).toEqual(['trading.emergency_stop']);
      expect((await store.settings.list()).map((s) => s.key)).toEqual([
        'discovery.strategy',
        'flag',
        'trading.emergency_stop',
      ]);
    });

    it('refuses a value that is not JSON', async () => {
      await expect(store.settings.set('x', undefined, null)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    });

    it('lists audit entries newest first, by kind, correlation id and time', async () => {
      await store.audit.append(entry('a1', 1000, 'emergency_stop', 'wf_1'));
      await store.audit.append(entry('a2', 3000, 'trading_resumed', 'wf_2'));
      await store.audit.append(entry('a3', 2000, 'emergency_stop', 'wf_3'));
      await store.audit.append(entry('a4', 2000, 'emergency_stop', 'wf_1'));
      expect((await store.audit.list()).map((e) => e.id)).toEqual(['a2', 'a4', 'a3', 'a1']);
      expect((await store.audit.list({ kind: 'emergency_stop' })).map((e) => e.id)).toEqual([
        'a4',
        'a3',
        'a1',
      ]);
      expect((await store.audit.list({ corrId: 'wf_1' })).map((e) => e.id)).toEqual(['a4', 'a1']);
      expect((await store.audit.list({ before: 2000 })).map((e) => e.id)).toEqual(['a1']);
      expect((await store.audit.list({ limit: 1 })).map((e) => e.id)).toEqual(['a2']);
      expect((await store.audit.list({ corrId: 'wf_2' }))[0]).toEqual(
        entry('a2', 3000, 'trading_resumed', 'wf_2'),
      );
    });

    it('refuses a duplicate audit id and a bad limit', async () => {
      await store.audit.append(entry('dup', 1, 'k'));
      const err = await store.audit.append(entry('dup', 2, 'k')).catch((e: unknown) => e);
      expect(isConclaveError(err, 'CONFLICT')).toBe(true);
      await expect(store.audit.list({ limit: 0 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it('commits concurrent appends together, failing only a duplicate among them', async () => {
      await store.audit.append(entry('taken', 1, 'k'));
      const ids = Array.from({ length: 1200 }, (_, i) => `e${i}`);
      ids.splice(600, 0, 'taken');
      const results = await Promise.allSettled(
        ids.map((id, i) => store.audit.append(entry(id, 10 + i, 'batch'))),
      );
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [ids[i]] : []));
      expect(failed).toEqual(['taken']);
      const rejected = results[600] as PromiseRejectedResult;
      expect(isConclaveError(rejected.reason, 'CONFLICT')).toBe(true);
      expect(await store.audit.list({ kind: 'batch', limit: 5000 })).toHaveLength(1200);
    });
  });
}

settingsAuditContract('SQLite :memory:', () => openSqliteStore({ path: ':memory:' }));

const postgres = await probePostgres();
const pg = postgresSchemas('conclave_sa');

describe.skipIf(!postgres.available)(suiteName('PostgreSQL settings and audit', postgres), () => {
  settingsAuditContract('PostgreSQL', () => pg.open({ poolMax: 2 }));
  afterAll(pg.dropSchemas);
});
