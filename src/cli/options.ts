import { InvalidArgumentError } from 'commander';
import { BAR_INTERVALS, type BarInterval } from '../trading/index.ts';

/** Flags shared by the commands that read configuration. */
export interface ConfigFlags {
  /** YAML file (`--config`). */
  config?: string;
  /** Profile to overlay (`--profile`). */
  profile?: string;
}

/** `start`'s flags. */
export interface StartFlags extends ConfigFlags {
  port?: number;
  host?: string;
}

/**
 * Parses `--port`: a whole number from 0 (any free port) to 65535. Commander reports the
 * thrown message together with the flag's name.
 */
export function parsePort(value: string): number {
  const port = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('must be a whole number from 0 to 65535.');
  }
  return port;
}

/** Parses `--host`: a host name or IP address to bind to (no scheme, no port, no spaces). */
export function parseHost(value: string): string {
  const host = value.trim();
  if (host === '' || /[\s/]/.test(host) || host.includes('://')) {
    throw new InvalidArgumentError('must be a host name or IP address, e.g. 127.0.0.1 or 0.0.0.0.');
  }
  return host;
}

/** The config overrides `start`'s flags ask for (flags beat the file and the environment). */
export function serverOverrides(flags: StartFlags): Record<string, unknown> | undefined {
  const server: Record<string, unknown> = {};
  if (flags.port !== undefined) server['port'] = flags.port;
  if (flags.host !== undefined) server['host'] = flags.host;
  return Object.keys(server).length > 0 ? { server } : undefined;
}

/** Parses `--timeout`: seconds, a number > 0. */
export function parseSeconds(value: string): number {
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('must be a number of seconds > 0.');
  return n;
}

/** Parses `--limit`: a whole number from 1 to 1000. */
export function parseCount(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!(n >= 1 && n <= 1000)) throw new InvalidArgumentError('must be a whole number from 1 to 1000.');
  return n;
}

/** Parses `--interval`: one of the bar intervals. */
export function parseInterval(value: string): BarInterval {
  const found = BAR_INTERVALS.find((i) => i === value.trim());
  if (found === undefined) throw new InvalidArgumentError(`must be one of ${BAR_INTERVALS.join(', ')}.`);
  return found;
}
