/**
 * The `trading:` config section applied to a Conclave: built-in agents, then the live feed.
 */
import type { Conclave } from '../../conclave.ts';
import type { ConclaveConfig } from '../../core/config.ts';
import { installTradingAgents, type TradingAgents } from './install.ts';
import { LiveFeed } from './live-feed.ts';

/** What {@link installBuiltinTrading} set up; `startFeed` after `conclave.start()`. */
export interface BuiltinTrading {
  readonly agents: TradingAgents | undefined;
  readonly feed: LiveFeed | undefined;
  /** Starts the live feed (when configured); call once the coordinator runs. */
  startFeed(): Promise<void>;
  /** Stops the live feed. */
  close(): Promise<void>;
}

/**
 * Registers the built-in agents when `trading.builtin_agents` is on, and prepares the live feed
 * when `trading.live_feed.enabled` is too (the feed needs the agents' desk).
 * @remarks Split from starting the feed because agents must be registered before
 * `conclave.start()` (task recovery needs them) while the feed must start after it (the
 * coordinator must be consuming before the first bar).
 */
export function installBuiltinTrading(conclave: Conclave, config: ConclaveConfig['trading']): BuiltinTrading {
  const agents = config.builtin_agents
    ? installTradingAgents(conclave, { broker: { initialCashMoney: config.paper_broker.initial_cash } })
    : undefined;
  const feed =
    agents !== undefined && config.live_feed.enabled
      ? new LiveFeed(
          {
            symbols: config.live_feed.symbols,
            barsPerSecond: config.live_feed.bars_per_second,
            warmupBars: config.live_feed.warmup_bars,
          },
          { bus: conclave.bus, clock: conclave.clock, desk: agents.desk },
        )
      : undefined;
  return {
    agents,
    feed,
    startFeed: async () => {
      await feed?.start();
    },
    close: async () => {
      await feed?.stop();
    },
  };
}
