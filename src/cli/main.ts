/**
 * The `conclave` executable's entry point (run through tsx: `bin/conclave.mjs`, `npm start`).
 * @remarks Sets the exit status rather than exiting, so a listening server keeps the process up.
 */
import { runCli } from './program.ts';

process.exitCode = await runCli(process.argv);
