/** Shared by the backtest route tests: waiting for a run to end, and a source that never answers. */
import { expect, vi } from 'vitest';
import type { MarketDataSource } from '../../src/trading/market-data/index.ts';
import { getJson, type TestServer } from './helpers.ts';

/** Polls GET /backtest/{id} (the API's own read path) until the run has ended. */
export function backtestFinished(
  server: TestServer,
  id: string,
  query = '',
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  return vi.waitFor(
    async () => {
      const res = await getJson(server.app, `/backtest/${id}${query}`);
      expect(['completed', 'failed']).toContain(res.body['status']);
      return res.body;
    },
    { timeout: timeoutMs, interval: 20 },
  );
}

/** A source whose fetches never answer until aborted: runs that hold their slot. */
export const stuckSource: MarketDataSource = {
  name: 'stuck',
  listSymbols: () => Promise.resolve(['SPX']),
  fetchBars: (_req, signal) =>
    new Promise((_resolve, reject) =>
      signal?.addEventListener('abort', () => reject(signal.reason as Error)),
    ),
};
