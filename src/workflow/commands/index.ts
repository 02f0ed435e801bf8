/** The AMC command interface: each command a workflow acting on the running system. */
export {
  CommandInterface,
  COMMAND_PARAMS,
  isCommandType,
  parseCommand,
  registerCommands,
} from './command-interface.ts';
export { COMMAND_TYPES, SETTINGS, TRADING_TAG, compileCommandOptions } from './command-types.ts';
export type { CommandDeps, CommandModule, CommandOptions, CommandType } from './command-types.ts';
export { activeEmergencyStop, reinstateEmergencyStop } from './emergency-stop.ts';
export type { EmergencyStopSetting } from './emergency-stop.ts';
export type { SystemHealth } from './system-builtins.ts';
