import { ConclaveError, toConclaveError } from '../core/errors.ts';
import type { ForEach } from './model.ts';

/** One item's outcome, as `continue_on_error` reports it. */
export type ItemOutcome =
  | { index: number; status: 'completed'; result: unknown }
  | { index: number; status: 'failed'; error: string };

/**
 * Runs `count` items with at most `maxConcurrency` at once and joins them by `join`. Settles as soon
 * as the outcome is decided (never waits on a branch it no longer needs) and then calls `abort`
 * so the branches still running stop.
 * - `fail_fast`: rejects with the first failure; resolves with every result, in item order.
 * - `continue_on_error`: resolves, once all have ended, with each item's {@link ItemOutcome}.
 * - `quorum`: resolves with the completed items' results (item order) once `quorum` completed;
 *   rejects as soon as too few items are left for that.
 */
export function joinItems(
  count: number,
  forEach: ForEach,
  runItem: (index: number) => Promise<unknown>,
  abort: () => void,
): Promise<unknown> {
  const limit = forEach.maxConcurrency ?? Math.max(1, count);
  const quorum = forEach.quorum ?? 1;
  const outcomes: (ItemOutcome | undefined)[] = new Array<ItemOutcome | undefined>(count);
  let next = 0;
  let active = 0;
  let ok = 0;
  let bad = 0;
  let firstError: unknown = null;
  let settled = false;
  return new Promise<unknown>((resolve, reject) => {
    const finish = (fn: () => void): void => {
      settled = true;
      abort();
      fn();
    };
    const done = (): ItemOutcome[] => outcomes.filter((o): o is ItemOutcome => o !== undefined);
    const check = (): void => {
      if (settled) return;
      if (forEach.join === 'fail_fast' && bad > 0) return finish(() => reject(toConclaveError(firstError)));
      if (forEach.join === 'quorum') {
        if (ok >= quorum) {
          return finish(() => resolve(done().flatMap((o) => (o.status === 'completed' ? [o.result] : []))));
        }
        if (count - bad < quorum) {
          const detail = firstError instanceof Error ? `; first failure: ${firstError.message}` : '';
          return finish(() =>
            reject(
              new ConclaveError(
                'AGENT_ERROR',
                `quorum of ${quorum} out of ${count} items can no longer be reached (${bad} failed)${detail}`,
                {
                  retryable: false,
                  details: { quorum, items: count, failed: bad },
                },
              ),
            ),
          );
        }
      }
      if (ok + bad === count) {
        if (forEach.join === 'continue_on_error') return finish(() => resolve(done()));
        return finish(() => resolve(done().map((o) => (o.status === 'completed' ? o.result : null))));
      }
      launch();
    };
    const launch = (): void => {
      while (!settled && active < limit && next < count) {
        const index = next++;
        active++;
        runItem(index).then(
          (result) => {
            active--;
            ok++;
            outcomes[index] = { index, status: 'completed', result };
            check();
          },
          (err: unknown) => {
            active--;
            bad++;
            firstError ??= err;
            outcomes[index] = {
              index,
              status: 'failed',
              error: err instanceof Error ? err.message : String(err),
            };
            check();
          },
        );
      }
    };
    check();
  });
}
