import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConclaveError } from './errors.ts';
import { configSchema, type ConclaveConfig } from './config-schema.ts';

export { configSchema, routingRuleSchema } from './config-schema.ts';
export type { ConclaveConfig, RoutingRuleConfig } from './config-schema.ts';

/** Where the configuration comes from. */
export interface LoadConfigOptions {
  /** YAML file; default `conclave.yaml` (or `CONCLAVE_CONFIG`). A missing default file is fine. */
  path?: string;
  /** Profile to overlay from the file's `profiles:` map (or `CONCLAVE_PROFILE`). */
  profile?: string;
  /** Environment to read `CONCLAVE_*` overrides from; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Extra values applied last (for tests and the CLI). */
  overrides?: Record<string, unknown>;
}

/** Shorthand environment variables for common keys, besides the general `CONCLAVE_A__B` form. */
const ENV_ALIASES: Record<string, string> = {
  CONCLAVE_PORT: 'server.port',
  CONCLAVE_HOST: 'server.host',
  CONCLAVE_LOG_LEVEL: 'log.level',
  CONCLAVE_DATA_DIR: 'data_dir',
  CONCLAVE_STORE: 'store.driver',
  CONCLAVE_SQLITE_PATH: 'store.sqlite_path',
  CONCLAVE_POSTGRES_URL: 'store.postgres_url',
  CONCLAVE_BUS: 'bus.driver',
  CONCLAVE_STATE: 'state.driver',
  CONCLAVE_NATS_URL: 'bus.nats.servers',
  CONCLAVE_REDIS_URL: 'state.redis.url',
  CONCLAVE_API_KEYS: 'server.api_keys',
  CONCLAVE_CALLBACK_SECRET: 'server.callback_secret',
};
const ENV_IGNORED = new Set(['CONCLAVE_CONFIG', 'CONCLAVE_PROFILE']);

/**
 * Loads configuration: defaults ← YAML file ← profile overlay ← `CONCLAVE_*` environment ←
 * overrides, then validates. A bad value stops start-up with a `CONFIG_INVALID` error naming the
 * key, the value and what is allowed.
 */
export function loadConfig(options: LoadConfigOptions = {}): ConclaveConfig {
  const env = options.env ?? process.env;
  const explicitPath = options.path ?? env['CONCLAVE_CONFIG'];
  const path = explicitPath ?? 'conclave.yaml';
  let raw: Record<string, unknown> = {};
  if (existsSync(path)) {
    raw = readYamlObject(path);
  } else if (explicitPath !== undefined) {
    throw new ConclaveError('CONFIG_INVALID', `config file ${path} does not exist`, {
      details: { field: 'path', value: path },
    });
  }
  const profile = options.profile ?? env['CONCLAVE_PROFILE'] ?? (raw['profile'] as string | undefined);
  if (profile !== undefined && profile !== 'default') {
    const profiles = (raw['profiles'] ?? {}) as Record<string, unknown>;
    const overlay = profiles[profile];
    if (!isPlainObject(overlay)) {
      const known = Object.keys(profiles);
      throw new ConclaveError(
        'CONFIG_INVALID',
        `profile: unknown profile '${profile}'; defined profiles: ${known.length ? known.join(', ') : '(none)'}`,
        { details: { field: 'profile', value: profile, allowed: known } },
      );
    }
    raw = deepMerge(raw, overlay);
    raw['profile'] = profile;
  }
  raw = deepMerge(raw, envOverrides(env));
  if (options.overrides) raw = deepMerge(raw, options.overrides);
  return parseConfig(raw);
}

/** Validates an already-assembled config object. */
export function parseConfig(raw: unknown): ConclaveConfig {
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const lines = result.error.issues.map(describeIssue);
  throw new ConclaveError('CONFIG_INVALID', `invalid configuration:\n  ${lines.join('\n  ')}`, {
    details: { issues: lines },
  });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.length ? issue.path.join('.') : '(root)';
  const input = 'input' in issue ? issue.input : undefined;
  const got = input === undefined ? '' : ` (got ${JSON.stringify(input)})`;
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${key}: unknown key(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}; check the spelling against conclave.example.yaml`;
    case 'invalid_value':
      return `${key}: must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${got}`;
    default:
      return `${key}: ${issue.message}${got}`;
  }
}

function readYamlObject(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConclaveError(
      'CONFIG_INVALID',
      `config file ${path} is not valid YAML: ${(err as Error).message}`,
      {
        cause: err,
        details: { field: 'path', value: path },
      },
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isPlainObject(parsed)) {
    throw new ConclaveError(
      'CONFIG_INVALID',
      `config file ${path} must hold a YAML mapping at the top level`,
      {
        details: { field: 'path', value: path },
      },
    );
  }
  return parsed;
}

/**
 * `CONCLAVE_DISPATCHER__MAX_QUEUE_SIZE=500` sets `dispatcher.max_queue_size`; values are read as
 * YAML scalars, so numbers and booleans keep their type.
 */
function envOverrides(env: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('CONCLAVE_') || value === undefined || ENV_IGNORED.has(name)) continue;
    const dotted = ENV_ALIASES[name] ?? name.slice('CONCLAVE_'.length).toLowerCase().split('__').join('.');
    setPath(out, dotted.split('.'), parseScalar(value));
  }
  return out;
}

function parseScalar(value: string): unknown {
  try {
    const parsed: unknown = parseYaml(value);
    return parsed === null ? value : parsed;
  } catch {
    return value;
  }
}

function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let node = target;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (!isPlainObject(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Merges `overlay` into `base` recursively; arrays and scalars in `overlay` replace. */
export function deepMerge(
  base: Record<string, unknown>,
  overlay: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const existing = out[key];
    out[key] = isPlainObject(existing) && isPlainObject(value) ? deepMerge(existing, value) : value;
  }
  return out;
}
