import type { AddressInfo } from 'node:net';
import { vi } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { makeTestServer, type TestServer } from '../server/helpers.ts';

/** A test server listening on a real loopback socket, with its base URL. */
export interface ListeningServer extends TestServer {
  url: string;
}

/** Starts {@link makeTestServer}'s app on a free loopback port. */
export async function listeningServer(
  options: Parameters<typeof makeTestServer>[0] = {},
): Promise<ListeningServer> {
  const server = await makeTestServer(options);
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = server.app.server.address() as AddressInfo;
  return { ...server, url: `http://127.0.0.1:${port}` };
}

/** What an in-process CLI run printed and its exit status. */
export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI in this process on `args` (as typed after `conclave`), capturing what it prints.
 * @remarks Faster than spawning; the spawned tests cover the launcher and real exit statuses.
 */
export async function cli(...args: string[]): Promise<InProcessResult> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  });
  try {
    const code = await runCli(['node', 'conclave', ...args]);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}
