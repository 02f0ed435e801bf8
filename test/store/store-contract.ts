import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import { callbackCases } from './callback-cases.ts';
import { deadLetterCases } from './dead-letter-cases.ts';
import { makeFullTask } from './fixtures.ts';
import { strategyBacktestCases } from './strategy-backtest-cases.ts';
import { taskCases } from './task-cases.ts';

/** Gives each case the store opened for it. */
export type StoreAccess = () => Store;

/**
 * The one suite every {@link Store} implementation must pass. `open` must return a fresh, empty,
 * migrated store each time (it is called before every case); `cleanup` runs once at the end.
 */
export function storeContract(name: string, open: () => Promise<Store>, cleanup?: () => Promise<void>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store | undefined;
    const access: StoreAccess = () => {
      if (store === undefined) throw new Error('store not open');
      return store;
    };

    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });
    if (cleanup !== undefined) afterAll(cleanup);

    describe('lifecycle', () => {
      it('names its dialect and answers ping', async () => {
        expect(['sqlite', 'postgres']).toContain(access().dialect);
        expect(await access().ping()).toBe(true);
      });

      it('migrate() is idempotent and keeps data', async () => {
        const task = makeFullTask();
        await access().tasks.writeBatch({ inserts: [task] });
        await access().migrate();
        await access().migrate();
        expect(await access().tasks.get(task.id)).toStrictEqual(task);
      });

      it('close() is idempotent', async () => {
        await access().close();
        await expect(access().close()).resolves.toBeUndefined();
      });
    });

    taskCases(access);
    deadLetterCases(access);
    strategyBacktestCases(access);
    callbackCases(access);
  });
}
