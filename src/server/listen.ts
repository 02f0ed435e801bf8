import { isIP } from 'node:net';
import type { Conclave } from '../conclave.ts';
import type { ConclaveServer } from './server-types.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The host the app was asked to listen on (`server.host`, or `listenApi`'s `host`). */
    requestedHost: string;
  }
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

/** Whether `host` only reaches this machine (`localhost`, `127.x.x.x`, `::1`). */
export function isLoopbackHost(host: string): boolean {
  if (LOOPBACK_NAMES.has(host.toLowerCase())) return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * The address to bind: the configured host, or 127.0.0.1 when no API key is configured (whatever
 * host was configured; {@link logListening} says so).
 * @remarks An API without keys is open to whoever can reach it, so it is only reachable from this
 * machine; exposing it takes a key. A non-loopback host without keys is not refused: a server that
 * starts on loopback and says why is easier to put right than one that does not start.
 */
export function bindHost(host: string, keyCount: number): string {
  return keyCount > 0 ? host : '127.0.0.1';
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
  app.requestedHost = options.host ?? conclave.config.server.host;
  const host = bindHost(app.requestedHost, app.apiKeyCount);
  return app.listen({ host, port: options.port ?? conclave.config.server.port });
}

/**
 * Logs where the app listens, as an `onListen` hook: a warning when no API key is configured
 * (the API is open, so it only listens on loopback, whatever host was asked for, and the line
 * says how to configure keys), an info line otherwise.
 */
export function logListening(app: ConclaveServer, conclave: Conclave): void {
  const address = app.server.address();
  const where =
    typeof address === 'object' && address !== null ? `${address.address}:${address.port}` : String(address);
  if (app.apiKeyCount === 0) {
    const requested = app.requestedHost;
    const fields = {
      event: 'server_open',
      address: where,
      configured_host: requested,
      instance_id: conclave.config.server.instance_id,
    };
    if (isLoopbackHost(requested)) {
      conclave.logger.warn(
        fields,
        'no API keys configured: the API is open, so it listens on 127.0.0.1 only',
      );
    } else {
      conclave.logger.warn(
        fields,
        `server.host is '${requested}', but no API keys are configured: the API would be open, so it ` +
          `listens on 127.0.0.1 only. To listen on '${requested}', configure keys in server.api_keys ` +
          '(or CONCLAVE_API_KEYS=name:role:key,…; roles read, operate, admin)',
      );
    }
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
