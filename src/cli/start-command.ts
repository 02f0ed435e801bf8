import type { AddressInfo } from 'node:net';
import { createConclave, type Conclave } from '../conclave.ts';
import { buildApp, CONCLAVE_VERSION, listenApi, type ConclaveServer } from '../server/index.ts';
import { baseUrl, startBanner } from './describe.ts';
import { describeFailure, EXIT } from './failure.ts';
import { loadCheckedConfig } from './load-checked-config.ts';
import { serverOverrides, type StartFlags } from './options.ts';
import { installBuiltinTrading, type BuiltinTrading } from '../trading/index.ts';

/** How long tasks in flight get to finish when the process is asked to stop. */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * `conclave start`: loads the configuration, starts Conclave embedded (recovering unfinished
 * tasks), serves the REST API, and stops cleanly on SIGINT or SIGTERM (HTTP intake first, then
 * in-flight tasks get {@link SHUTDOWN_GRACE_MS}, then state is flushed), exiting 0.
 * @remarks Resolves once listening; the open server keeps the process alive.
 */
export async function runStart(flags: StartFlags): Promise<void> {
  const config = loadCheckedConfig(flags, serverOverrides(flags));
  const conclave = await createConclave(config);
  let app: ConclaveServer | undefined;
  const trading = installBuiltinTrading(conclave, config.trading);
  try {
    const { recoveredTasks } = await conclave.start();
    // POST /shutdown (admin) stops the process as SIGTERM would.
    app = buildApp(conclave, { logger: true, onShutdown: () => void process.kill(process.pid, 'SIGTERM') });
    await listenApi(app, conclave);
    await trading.startFeed();
    const address = app.server.address() as AddressInfo;
    console.log(startBanner({ version: CONCLAVE_VERSION, config, address, recoveredTasks }));
    console.log(tradingBanner(address, trading));
  } catch (err) {
    await trading.close().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await conclave.close(0).catch(() => undefined);
    throw err;
  }
  stopOnSignals(app, conclave, trading);
}

/** Where to look once trading runs: the endpoints that show the feed's decisions and the agents' work. */
function tradingBanner(address: AddressInfo, trading: BuiltinTrading): string {
  const base = baseUrl(address);
  const agents = trading.agents === undefined ? 'off' : Object.keys(trading.agents.agents).join(', ');
  const feed = trading.feed === undefined ? 'off' : 'replaying real market data (vega-datasets)';
  return [
    `  agents     ${agents}`,
    `  live feed  ${feed}`,
    `  metrics    ${base}/metrics`,
    `  workflows  ${base}/workflows`,
    `  decisions  ${base}/decisions`,
    `  audit      ${base}/audit/{corr_id} (corr_ids are on ${base}/decisions)`,
  ].join('\n');
}

function stopOnSignals(app: ConclaveServer, conclave: Conclave, trading: BuiltinTrading): void {
  let stopping = false;
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) {
      console.error(`conclave: ${signal} again; exiting without waiting`);
      process.exit(EXIT.failure);
    }
    stopping = true;
    console.log(
      `conclave: ${signal} received; stopping (tasks in flight get up to ${SHUTDOWN_GRACE_MS / 1000} s)`,
    );
    try {
      await trading.close();
      await app.close();
      await conclave.close(SHUTDOWN_GRACE_MS);
      console.log('conclave: stopped');
      process.exit(EXIT.ok);
    } catch (err) {
      const { message } = describeFailure(err, 'shutdown');
      console.error(message);
      process.exit(EXIT.failure);
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      void stop(signal);
    });
  }
}
