import { isIP } from 'node:net';
import type { Conclave } from '../conclave.ts';
import { ConclaveError } from '../core/errors.ts';
import type { ConclaveServer } from './server-types.ts';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

/** Whether `host` only reaches this machine (`localhost`, `127.x.x.x`, `::1`). */
export function isLoopbackHost(host: string): boolean {
  if (LOOPBACK_NAMES.has(host.toLowerCase())) return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * The address to bind: the configured host, or 127.0.0.1 when no API key is configured.
 * Throws `CONFIG_INVALID` for a non-loopback host without keys.
 * @remarks An API without keys is open to whoever can reach it, so it is only reachable from this
 * machine; exposing it takes a key.
 */
export function bindHost(host: string, keyCount: number): string {
  if (keyCount > 0) return host;
  if (!isLoopbackHost(host)) {
    throw new ConclaveError(
      'CONFIG_INVALID',
      `server.host: '${host}' is not a loopback address, and no API key is configured; ` +
        'add server.api_keys (or CONCLAVE_API_KEYS) to listen beyond this machine, or use 127.0.0.1',
      { details: { field: 'server.host', value: host } },
    );
  }
  return '127.0.0.1';
}

/** Options for {@link listenApi}; default to `server.host` and `server.port` from config. */
export interface ListenApiOptions {
  host?: string;
  port?: number;
}

/**
 * Starts listening on the configured (or given) address, keeping to loopback when the app has no
 * API keys. Returns the address. (The app itself logs where it listens, see {@link logListening}.)
 */
export async function listenApi(
  app: ConclaveServer,
  conclave: Conclave,
  options: ListenApiOptions = {},
): Promise<string> {
  const host = bindHost(options.host ?? conclave.config.server.host, app.apiKeyCount);
  return app.listen({ host, port: options.port ?? conclave.config.server.port });
}

/**
 * Logs where the app listens, as an `onListen` hook: a warning when no API key is configured
 * (the API is open, so it only listens on loopback), an info line otherwise.
 */
export function logListening(app: ConclaveServer, conclave: Conclave): void {
  const address = app.server.address();
  const where =
    typeof address === 'object' && address !== null ? `${address.address}:${address.port}` : String(address);
  if (app.apiKeyCount === 0) {
    conclave.logger.warn(
      { event: 'server_open', address: where, instance_id: conclave.config.server.instance_id },
      'no API keys configured: the API is open, so it listens on 127.0.0.1 only',
    );
  } else {
    conclave.logger.info(
      {
        event: 'server_listening',
        address: where,
        api_keys: app.apiKeyCount,
        instance_id: conclave.config.server.instance_id,
      },
      'API listening',
    );
  }
}
