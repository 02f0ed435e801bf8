import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { API_KEY_ROLES, parseApiKeyList, apiKeySchema, type ApiKeyConfig } from '../core/config-schema.ts';
import type { ConclaveConfig } from '../core/config.ts';
import { ConclaveError } from '../core/errors.ts';

/** A role an API key holds: `read` < `operate` < `admin`. */
export type Role = (typeof API_KEY_ROLES)[number];

/** A configured key, ready to check: only the SHA-256 of the key is kept. */
export interface ResolvedKey {
  readonly name: string;
  readonly role: Role;
  readonly ratePerMinute: number;
  readonly hash: Buffer;
}

/** Whether `held` is enough for `needed` (roles are ordered). */
export function roleAllows(held: Role, needed: Role): boolean {
  return API_KEY_ROLES.indexOf(held) >= API_KEY_ROLES.indexOf(needed);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Resolves the configured keys (inline or through `key_env`) plus those in `CONCLAVE_API_KEYS`
 * (compact form `name:role:key[:rate]`, comma-separated). Throws `CONFIG_INVALID` naming a
 * `key_env` that is unset, a malformed environment entry, or two keys with the same name.
 * @remarks Only hashes are kept, so a key never sits in memory as text past start-up and every
 * comparison is between two 32-byte digests (constant time, whatever the key's length).
 */
export function resolveApiKeys(
  server: ConclaveConfig['server'],
  env: Record<string, string | undefined>,
): ResolvedKey[] {
  const fromEnv = env['CONCLAVE_API_KEYS'];
  const configured: ApiKeyConfig[] = [...server.api_keys];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    parseApiKeyList(fromEnv).forEach((entry, i) => {
      const parsed = apiKeySchema.safeParse(entry);
      if (!parsed.success) {
        throw new ConclaveError(
          'CONFIG_INVALID',
          `CONCLAVE_API_KEYS entry ${i + 1}: ${parsed.error.issues[0]?.message ?? 'invalid'}; ` +
            'expected name:role:key[:rate_limit_per_minute] with role read, operate or admin',
          { details: { field: 'CONCLAVE_API_KEYS', entry: i + 1 } },
        );
      }
      configured.push(parsed.data);
    });
  }
  const seen = new Map<string, ResolvedKey>();
  for (const k of configured) {
    const text = k.key ?? readKeyEnv(k, env);
    const resolved: ResolvedKey = {
      name: k.name,
      role: k.role,
      ratePerMinute: k.rate_limit_per_minute ?? server.default_rate_limit_per_minute,
      hash: sha256(text),
    };
    const before = seen.get(k.name);
    // The same key listed in config and in the environment is one key, not a clash.
    if (before !== undefined && !before.hash.equals(resolved.hash)) {
      throw new ConclaveError('CONFIG_INVALID', `server.api_keys: two different keys are named '${k.name}'`, {
        details: { field: 'server.api_keys', value: k.name },
      });
    }
    seen.set(k.name, resolved);
  }
  return [...seen.values()];
}

function readKeyEnv(k: ApiKeyConfig, env: Record<string, string | undefined>): string {
  const name = k.key_env ?? '';
  const value = env[name];
  if (value === undefined || value.length < 16) {
    throw new ConclaveError(
      'CONFIG_INVALID',
      `server.api_keys '${k.name}': environment variable ${name} ` +
        (value === undefined ? 'is not set' : 'must hold at least 16 characters'),
      { details: { field: 'server.api_keys.key_env', value: name } },
    );
  }
  return value;
}

/** The key a request presents: `Authorization: Bearer <key>` first, then `X-API-Key`. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match?.[1] !== undefined) return match[1];
  }
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header !== '' ? header : undefined;
}

/**
 * Finds the key matching `presented`, comparing its hash with every configured hash in constant
 * time and without stopping at the first match, so timing tells nothing about which key is near.
 */
export function findKey(keys: readonly ResolvedKey[], presented: string): ResolvedKey | undefined {
  const hash = sha256(presented);
  let found: ResolvedKey | undefined;
  for (const k of keys) if (timingSafeEqual(k.hash, hash) && found === undefined) found = k;
  return found;
}

/**
 * The role each route needs, by `METHOD /route/:pattern`. Unlisted GET routes need `read`;
 * unlisted routes of any other method need `admin`, so a route added without a thought is closed.
 */
const ROUTE_ROLES: Readonly<Record<string, Role | ((request: FastifyRequest) => Role)>> = {
  'POST /orchestrate': 'operate',
  'POST /aggregate': 'operate',
  'POST /signals': 'operate',
  'POST /commands/:type': (request) =>
    (request.params as { type?: string }).type === 'emergency_stop' ? 'admin' : 'operate',
  'POST /workflows/:id/cancel': 'operate',
  'POST /dlq/:id/replay': 'operate',
  'DELETE /dlq': 'admin',
  'DELETE /dlq/:id': 'admin',
  'POST /shutdown': 'admin',
  'POST /strategies': 'operate',
  'DELETE /strategies/:id': 'operate',
  'POST /backtest': 'operate',
  'POST /agents/:name/enable': 'admin',
  'POST /agents/:name/disable': 'admin',
};

/** The role a request's route needs (see {@link ROUTE_ROLES}). */
export function requiredRole(request: FastifyRequest): Role {
  const route = request.routeOptions.url;
  const rule = route === undefined ? undefined : ROUTE_ROLES[`${request.method} ${route}`];
  if (rule === undefined) return request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'admin';
  return typeof rule === 'function' ? rule(request) : rule;
}

/** How the OpenAPI document describes a route's role (`admin`, or `operate` with its exception). */
export function documentedRole(method: string, url: string): string {
  const rule = ROUTE_ROLES[`${method} ${url}`];
  if (rule === undefined) return method === 'GET' || method === 'HEAD' ? 'read' : 'admin';
  return typeof rule === 'function' ? 'operate (admin for emergency_stop)' : rule;
}
