import type { AddressInfo } from 'node:net';
import { createConclave, type Conclave } from '../conclave.ts';
import { buildApp, CONCLAVE_VERSION, type ConclaveServer } from '../server/index.ts';
import { startBanner } from './describe.ts';
import { describeFailure, EXIT } from './failure.ts';
import { loadCheckedConfig } from './load-checked-config.ts';
import { serverOverrides, type StartFlags } from './options.ts';

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
  try {
    const { recoveredTasks } = await conclave.start();
    app = buildApp(conclave, { logger: true });
    await app.listen({ host: config.server.host, port: config.server.port });
    const address = app.server.address() as AddressInfo;
    console.log(startBanner({ version: CONCLAVE_VERSION, config, address, recoveredTasks }));
  } catch (err) {
    await app?.close().catch(() => undefined);
    await conclave.close(0).catch(() => undefined);
    throw err;
  }
  stopOnSignals(app, conclave);
}

function stopOnSignals(app: ConclaveServer, conclave: Conclave): void {
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
