/** Shared by the strategy route tests: the built-in trading agents for a test server, and waiting. */
import { expect, vi } from 'vitest';
import type { InprocHandler } from '../../src/agents/index.ts';
import { BUILTIN_AGENTS, TradingDesk, VegaDatasetsSource } from '../../src/trading/index.ts';
import { getJson, type TestServer } from './helpers.ts';

/**
 * The built-in trading agents (data, momentum, correlation, risk, cost, execution) on the real
 * bundled market data, as `makeTestServer` agents, named `desk_<agent>` beside the test's own
 * (`risk_agent` is taken). With `gate`, the data agent waits for it before each fetch: a run holds
 * at its first step until the test lets it go.
 */
export function tradingAgents(
  options: { gate?: Promise<void> } = {},
): { name: string; capabilities: string[]; handler: InprocHandler }[] {
  const desk = new TradingDesk(new VegaDatasetsSource());
  return BUILTIN_AGENTS.map((spec) => ({
    name: `desk_${spec.name}`,
    capabilities: [...spec.capabilities],
    handler: async (request, signal) => {
      if (options.gate !== undefined && spec.name === 'data_agent') await options.gate;
      return spec.handle(desk, request.payload, signal, request.capability);
    },
  }));
}

/** Sends every `fetch_market_data` task to the test server's `holder`, which never answers. */
export const HOLD_DATA_RULES = [{ pattern: 'fetch_market_data', target_agent: 'holder', max_retries: 0 }];

/** Polls GET /strategies/{id} (the API's own read path) until its run has reached `statuses`. */
export function strategyReached(
  server: TestServer,
  id: string,
  statuses: readonly string[] = ['completed', 'failed', 'cancelled', 'timed_out'],
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  return vi.waitFor(
    async () => {
      const res = await getJson(server.app, `/strategies/${id}`);
      expect(statuses).toContain(res.body['status']);
      return res.body;
    },
    { timeout: timeoutMs, interval: 20 },
  );
}

/**
 * IBM, 5-bar momentum, low signal threshold: on the bundled monthly data (to 2010) the rule-based
 * policy trades it (up, high-confidence momentum), so a run ends with one order.
 */
export const IBM_MOMENTUM = {
  strategy_id: 'ibm_momentum',
  name: 'IBM momentum',
  symbols: ['IBM'],
  lookback_period: 5,
  parameters: { signal_threshold: 0.01 },
};
