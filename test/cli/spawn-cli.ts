import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root (where `tsx` resolves from). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The CLI entry point, run through tsx as `npm start` does. */
export const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
/** The installed `conclave` launcher. */
export const BIN = fileURLToPath(new URL('../../bin/conclave.mjs', import.meta.url));

/** The parent's environment without any CONCLAVE_* variable, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CONCLAVE_')) env[k] = v;
  return { ...env, ...extra };
}

/** How to launch: `node --import tsx src/cli/main.ts` (from the repo root) or the bin launcher. */
export interface SpawnOptions {
  env?: Record<string, string>;
  /** Working directory; `--import tsx` resolves from it, so other directories need `bin`. */
  cwd?: string;
  bin?: boolean;
}

/** Starts the CLI with `args`. */
export function spawnCli(args: string[], options: SpawnOptions = {}): ChildProcessWithoutNullStreams {
  const argv = options.bin === true ? [BIN, ...args] : ['--import', 'tsx', MAIN, ...args];
  return spawn(process.execPath, argv, { cwd: options.cwd ?? REPO_ROOT, env: cleanEnv(options.env) });
}

/** What a finished process printed and how it exited. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Collects a child's output until it exits. */
export function collect(child: ChildProcessWithoutNullStreams): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs the CLI to completion. */
export function runCliProcess(args: string[], options: SpawnOptions = {}): Promise<CliResult> {
  return collect(spawnCli(args, options));
}
