import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { ConclaveConfig } from '../core/config.ts';

/** Where the store keeps its data, for humans: the SQLite file's absolute path or a redacted URL. */
export function describeStore(config: ConclaveConfig): string {
  if (config.store.driver === 'sqlite') return `sqlite at ${resolve(config.store.sqlite_path)}`;
  return `postgres at ${redactUrl(config.store.postgres_url)}`;
}

/** The base URL a bound server answers on; wildcard binds are shown as localhost. */
export function baseUrl(address: AddressInfo): string {
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const host = wildcard ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/** The block `conclave start` prints once it listens: where to look, and what it recovered. */
export function startBanner(input: {
  version: string;
  config: ConclaveConfig;
  address: AddressInfo;
  recoveredTasks: number;
}): string {
  const base = baseUrl(input.address);
  return [
    `Conclave ${input.version} is running (profile ${input.config.profile})`,
    `  API        ${base}`,
    `  health     ${base}/health`,
    `  OpenAPI    ${base}/docs/json`,
    `  data       ${describeStore(input.config)}`,
    `  recovered  ${input.recoveredTasks} unfinished task(s)`,
    'Press Ctrl+C to stop.',
  ].join('\n');
}

/** `conclave config validate`'s summary of a valid configuration. */
export function configSummary(config: ConclaveConfig, file: string | undefined): string {
  return [
    'configuration OK',
    `  file           ${file === undefined ? '(none: defaults and environment)' : resolve(file)}`,
    `  profile        ${config.profile}`,
    `  store          ${describeStore(config)}`,
    `  routing rules  ${config.routing_rules.length}`,
    `  server         ${config.server.host}:${config.server.port}`,
  ].join('\n');
}

/** The config file `loadConfig` reads for these flags, if one exists (mirrors its lookup order). */
export function configFileFor(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const path = flag ?? env['CONCLAVE_CONFIG'] ?? 'conclave.yaml';
  return existsSync(path) ? path : undefined;
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
