/** Child processes of the chaos test (`node --import tsx <script>`), with their IPC reports. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildReport, ParentCommand } from './protocol.ts';

/** The last characters of a child's stderr kept, to explain a failure. */
const STDERR_KEPT = 4_000;

/** One child process: its latest progress count, readiness, exit, and the tail of its stderr. */
export class Child {
  readonly name: string;
  /** The latest `progress` count it reported (kept after it exits). */
  count = 0;
  done = false;
  #ready = false;
  #stderr = '';
  readonly #proc: ChildProcess;

  /** Starts `script` (a file beside this one) with `args`. */
  constructor(name: string, script: string, args: string[]) {
    this.name = name;
    const path = fileURLToPath(new URL(script, import.meta.url));
    this.#proc = fork(path, args, {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.#proc.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-STDERR_KEPT);
    });
    this.#proc.on('message', (report: ChildReport) => {
      if (report.kind === 'ready') this.#ready = true;
      else if (report.kind === 'progress') this.count = report.count;
      else this.done = true;
    });
  }

  get pid(): number | undefined {
    return this.#proc.pid;
  }

  get exited(): boolean {
    return this.#proc.exitCode !== null || this.#proc.signalCode !== null;
  }

  /** Up and serving; throws with its stderr if it died first. */
  get ready(): boolean {
    if (this.exited) throw new Error(`${this.name} exited early:\n${this.#stderr}`);
    return this.#ready;
  }

  /** Its stderr so far (the last few thousand characters). */
  get stderr(): string {
    return this.#stderr;
  }

  send(command: ParentCommand): void {
    this.#proc.send(command);
  }

  /** Sends `signal` and resolves once the process has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.exited) return;
    const exit = new Promise<void>((resolve) => this.#proc.once('exit', () => resolve()));
    this.#proc.kill(signal);
    await exit;
  }
}
