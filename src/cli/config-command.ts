import { configFileFor, configSummary } from './describe.ts';
import { loadCheckedConfig } from './load-checked-config.ts';
import type { ConfigFlags } from './options.ts';

/**
 * `conclave config validate`: checks the configuration exactly as `start` would and prints a short
 * summary. Problems throw `CONFIG_INVALID`, which the CLI prints and exits 2 on.
 */
export function runConfigValidate(flags: ConfigFlags): void {
  const config = loadCheckedConfig(flags);
  console.log(configSummary(config, configFileFor(flags.config)));
}
