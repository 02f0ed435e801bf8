import { loadConfig, type ConclaveConfig } from '../core/config.ts';
import { ConclaveError, toConclaveError } from '../core/errors.ts';
import { RoutingTable } from '../dispatch/index.ts';
import type { ConfigFlags } from './options.ts';

/**
 * Loads the configuration for the CLI's flags and compiles its routing rules, so every problem a
 * config file can hold (including a pattern routed twice) surfaces as `CONFIG_INVALID` (exit 2)
 * before anything is opened.
 */
export function loadCheckedConfig(flags: ConfigFlags, overrides?: Record<string, unknown>): ConclaveConfig {
  const config = loadConfig({
    ...(flags.config === undefined ? {} : { path: flags.config }),
    ...(flags.profile === undefined ? {} : { profile: flags.profile }),
    ...(overrides === undefined ? {} : { overrides }),
  });
  try {
    new RoutingTable(config.routing_rules);
  } catch (err) {
    const e = toConclaveError(err);
    throw new ConclaveError('CONFIG_INVALID', `invalid configuration:\n  ${e.message}`, {
      cause: e,
      details: e.details,
    });
  }
  return config;
}
