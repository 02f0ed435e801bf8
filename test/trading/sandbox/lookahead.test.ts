import { describe, expect, it } from 'vitest';
import type { Bar } from '../../../src/trading/market-data/index.ts';
import {
  DEFAULT_AGENT_FACTORIES,
  runBacktest,
  type SandboxAgentFactory,
} from '../../../src/trading/sandbox/index.ts';
import { FAST_STRATEGY, syntheticBars } from './fixtures.ts';

interface SpyLog {
  violations: string[];
  analyses: number;
}

/** Wraps an agent and logs every time it is given, or could read, a bar later than the one it analyses. */
function spy(inner: SandboxAgentFactory, log: SpyLog): SandboxAgentFactory {
  return (symbol, options) => {
    const agent = inner(symbol, options);
    let lastSeenMs = Number.NEGATIVE_INFINITY;
    return {
      name: agent.name,
      version: agent.version,
      update(bar: Bar) {
        if (bar.timestamp <= lastSeenMs)
          log.violations.push(`${symbol} got ${bar.timestamp} after ${lastSeenMs}`);
        lastSeenMs = bar.timestamp;
        agent.update(bar);
      },
      analyze(context) {
        log.analyses++;
        if (lastSeenMs !== context.timestampMs) {
          log.violations.push(`${symbol} analysed ${context.timestampMs} having seen ${lastSeenMs}`);
        }
        for (const [other, history] of Object.entries(context.history)) {
          const newest = history[history.length - 1];
          if (newest && newest.timestamp > context.timestampMs) {
            log.violations.push(
              `${symbol} at ${context.timestampMs} could see ${other} at ${newest.timestamp}`,
            );
          }
        }
        return agent.analyze(context);
      },
    };
  };
}

describe('no look-ahead', () => {
  it('an agent analysing bar t has seen no bar after t, in any symbol', async () => {
    const bars = await syntheticBars(31, ['AAA', 'BBB', 'CCC'], 120);
    const log: SpyLog = { violations: [], analyses: 0 };
    const agents = Object.fromEntries(
      Object.entries(DEFAULT_AGENT_FACTORIES).map(([name, factory]) => [name, spy(factory, log)]),
    );
    const result = await runBacktest(
      { bars },
      { warmupBars: 0, policy: 'weighted_average', strategy: FAST_STRATEGY },
      { agents },
    );
    expect(log.violations).toEqual([]);
    expect(log.analyses).toBe(3 * 3 * 120); // three agents × three symbols × every bar
    expect(result.stats.decisions).toBe(360);
  }, 60_000);

  it('the spy catches an engine that hands an agent the next bar early', async () => {
    const bars = await syntheticBars(32, ['AAA'], 60);
    const series = bars['AAA']!;
    const log: SpyLog = { violations: [], analyses: 0 };
    const spied = spy(DEFAULT_AGENT_FACTORIES['momentum']!, log);
    const leaking: SandboxAgentFactory = (symbol, options) => {
      const agent = spied(symbol, options);
      return {
        ...agent,
        update(bar) {
          agent.update(bar);
          const next = series[series.findIndex((b) => b.timestamp === bar.timestamp) + 1];
          if (next) agent.update(next);
        },
      };
    };
    await runBacktest({ bars }, { warmupBars: 0 }, { agents: { momentum: leaking } });
    expect(log.violations.length).toBeGreaterThan(50);
    expect(log.violations[0]).toMatch(/analysed \d+ having seen \d+/);
  }, 60_000);
});
