import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.ts';
import { ConclaveError } from '../core/errors.ts';
import { takeFromBucket, type BucketState } from '../state/token-bucket.ts';
import { findKey, presentedKey, requiredRole, roleAllows, type ResolvedKey } from './auth.ts';
import type { ConclaveServer } from './server-types.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** How many API keys the app accepts (0: the API is open and stays on loopback). */
    apiKeyCount: number;
  }
  interface FastifyRequest {
    /** The API key the request authenticated with (its name and role), when keys are configured. */
    apiKey?: { name: string; role: ResolvedKey['role'] };
  }
}

/** What {@link installAuth} needs. */
export interface AuthOptions {
  keys: readonly ResolvedKey[];
  /** Route paths served without a key (`/health`, `/metrics`). */
  openEndpoints: readonly string[];
  clock: Clock;
}

/**
 * Installs authentication, authorization and per-key rate limiting as one `onRequest` hook, so
 * they run before the body is read: 401 without a valid key, 403 when the key's role is too low,
 * 429 with `Retry-After` when the key's token bucket is empty. With no keys configured it installs
 * nothing (the server then only listens on loopback, see listen.ts).
 * @remarks Buckets live in this process: with several orchestrators behind a balancer each
 * enforces its own budget. Keys are never logged; only their configured name is attached.
 */
export function installAuth(app: ConclaveServer, options: AuthOptions): void {
  if (options.keys.length === 0) return;
  const open = new Set(options.openEndpoints);
  const buckets = new Map<string, BucketState>();
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url;
    if (route !== undefined && open.has(route)) return;
    const presented = presentedKey(request);
    const key = presented === undefined ? undefined : findKey(options.keys, presented);
    if (key === undefined) {
      void reply.header('www-authenticate', 'Bearer realm="conclave"');
      throw new ConclaveError(
        'UNAUTHORIZED',
        presented === undefined
          ? 'an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>'
          : 'the API key is not valid',
      );
    }
    request.apiKey = { name: key.name, role: key.role };
    const needed = requiredRole(request);
    if (!roleAllows(key.role, needed)) {
      throw new ConclaveError(
        'FORBIDDEN',
        `${request.method} ${route ?? request.url} needs role '${needed}'; key '${key.name}' has '${key.role}'`,
        { details: { needed, held: key.role } },
      );
    }
    const now = options.clock.now();
    const take = takeFromBucket(buckets.get(key.name), now, key.ratePerMinute, key.ratePerMinute, 1);
    buckets.set(key.name, take.state);
    if (take.waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(take.waitMs / 1000));
      void reply.header('retry-after', String(seconds));
      throw new ConclaveError(
        'RATE_LIMITED',
        `key '${key.name}' is over its limit of ${key.ratePerMinute} requests a minute; retry in ${seconds} s`,
        { details: { retry_after_seconds: seconds } },
      );
    }
  });
}
