import { describe, expect, it } from 'vitest';
import { isConclaveError } from '../../src/core/errors.ts';
import type { CallbackDeliveryRecord, CallbackRepository } from '../../src/store/store.ts';
import { uid } from './fixtures.ts';
import type { StoreAccess } from './store-contract.ts';

/** A pending delivery with a body that must come back byte for byte; `overrides` win. */
export function makeDelivery(overrides: Partial<CallbackDeliveryRecord> = {}): CallbackDeliveryRecord {
  return {
    id: uid('cb'),
    taskId: uid('task'),
    corrId: 'corr-1',
    url: 'http://127.0.0.1:9/hook?token=abc',
    event: 'task.finished',
    // Spacing, escapes and non-ASCII as a signer saw them: the stored text must not be re-serialised.
    body: '{"event":"task.finished", "result":{"note":"S&P \\u00e9 📈"},"n":1.50}',
    status: 'pending',
    attempts: 0,
    lastStatus: null,
    error: null,
    createdAt: 1_700_000_000_000,
    updatedAt: 8_640_000_000_000_000,
    owner: 'orchestrator-a:8000',
    ...overrides,
  };
}

/** Callback delivery cases of the store contract. */
export function callbackCases(store: StoreAccess): void {
  const callbacks = () => store().callbacks;

  describe('callback deliveries', () => {
    it('keeps every field, the body byte for byte, and nulls', async () => {
      const full = makeDelivery({ lastStatus: 503, error: 'receiver answered 503', attempts: 3 });
      const bare = makeDelivery({ corrId: null, owner: null });
      await callbacks().insert(full);
      await callbacks().insert(bare);
      expect(await callbacks().get(full.id)).toStrictEqual(full);
      expect(await callbacks().get(bare.id)).toStrictEqual(bare);
      expect(await callbacks().get('no-such-delivery')).toBeUndefined();
    });

    it('refuses a taken id with CONFLICT, and an update of an unknown one with NOT_FOUND', async () => {
      const first = makeDelivery();
      await callbacks().insert(first);
      const dup = await callbacks()
        .insert({ ...first, url: 'http://elsewhere/' })
        .catch((e: unknown) => e);
      expect(isConclaveError(dup, 'CONFLICT')).toBe(true);
      expect((await callbacks().get(first.id))?.url).toBe(first.url);
      const missing = await callbacks()
        .update('no-such-delivery', {
          status: 'delivered',
          attempts: 1,
          lastStatus: 200,
          error: null,
          updatedAt: 1,
        })
        .catch((e: unknown) => e);
      expect(isConclaveError(missing, 'NOT_FOUND')).toBe(true);
    });

    it('lists only pending deliveries, oldest first, a page at a time; an update takes one out', async () => {
      const older = makeDelivery({ createdAt: 1_000, id: 'cb-b' });
      const tie = makeDelivery({ createdAt: 2_000, id: 'cb-a' });
      const newer = makeDelivery({ createdAt: 2_000, id: 'cb-c' });
      const delivered = makeDelivery({ createdAt: 500, status: 'delivered', attempts: 1, lastStatus: 200 });
      const failed = makeDelivery({ createdAt: 600, status: 'failed', attempts: 5, error: 'gone' });
      for (const d of [newer, delivered, tie, failed, older]) await callbacks().insert(d);
      expect((await callbacks().listPending()).map((d) => d.id)).toEqual(['cb-b', 'cb-a', 'cb-c']);
      expect((await callbacks().listPending({ limit: 2 })).map((d) => d.id)).toEqual(['cb-b', 'cb-a']);
      expect((await callbacks().listPending({ limit: 2, offset: 2 })).map((d) => d.id)).toEqual(['cb-c']);
      await callbacks().update('cb-b', {
        status: 'delivered',
        attempts: 2,
        lastStatus: 200,
        error: null,
        updatedAt: 3_000,
      });
      expect((await callbacks().listPending()).map((d) => d.id)).toEqual(['cb-a', 'cb-c']);
      expect(await callbacks().get('cb-b')).toStrictEqual({
        ...older,
        status: 'delivered',
        attempts: 2,
        lastStatus: 200,
        error: null,
        updatedAt: 3_000,
      });
      await expect(callbacks().listPending({ limit: 0 })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    });

    it('lists for an owner only its own pending deliveries and unowned ones, a page at a time', async () => {
      const mine = makeDelivery({ id: 'cb-mine', createdAt: 1_000, owner: 'orch-a:8000' });
      const peers = makeDelivery({ id: 'cb-peer', createdAt: 1_500, owner: 'orch-b:8000' });
      const legacy = makeDelivery({ id: 'cb-legacy', createdAt: 2_000, owner: null });
      const mineLater = makeDelivery({ id: 'cb-mine-2', createdAt: 3_000, owner: 'orch-a:8000' });
      const mineDone = makeDelivery({ createdAt: 500, owner: 'orch-a:8000', status: 'delivered' });
      // An owner that differs only in case or by a suffix is another owner.
      const lookalike = makeDelivery({ id: 'cb-lookalike', createdAt: 2_500, owner: 'ORCH-A:8000' });
      for (const d of [mineLater, peers, legacy, mineDone, lookalike, mine]) await callbacks().insert(d);
      const ids = async (query: Parameters<CallbackRepository['listPending']>[0]) =>
        (await callbacks().listPending(query)).map((d) => d.id);
      expect(await ids({ owner: 'orch-a:8000' })).toEqual(['cb-mine', 'cb-legacy', 'cb-mine-2']);
      expect(await ids({ owner: 'orch-a:8000', limit: 2, offset: 1 })).toEqual(['cb-legacy', 'cb-mine-2']);
      expect(await ids({ owner: 'orch-b:8000' })).toEqual(['cb-peer', 'cb-legacy']);
      expect(await ids({ owner: 'orch-c:8000' })).toEqual(['cb-legacy']);
      expect(await ids({})).toEqual(['cb-mine', 'cb-peer', 'cb-legacy', 'cb-lookalike', 'cb-mine-2']);
      // The owner is kept through an update, and an ended delivery leaves its owner's list.
      await callbacks().update('cb-mine', {
        status: 'failed',
        attempts: 5,
        lastStatus: 503,
        error: 'receiver answered 503',
        updatedAt: 4_000,
      });
      expect((await callbacks().get('cb-mine'))?.owner).toBe('orch-a:8000');
      expect(await ids({ owner: 'orch-a:8000' })).toEqual(['cb-legacy', 'cb-mine-2']);
    });
  });
}
