/** Fixtures for the distributed-shape integration tests: a private nats-server, configs, polling. */
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { loadConfig, type ConclaveConfig } from '../../src/core/config.ts';
import { createLogger, type Logger } from '../../src/telemetry/index.ts';

/** The Redis the suites use, overridable with CONCLAVE_TEST_REDIS_URL. */
export const REDIS_URL = process.env['CONCLAVE_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Resolves after `ms` real milliseconds. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` until it holds; fails after `timeoutMs` naming `what`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await pause(10);
  }
}

/** Answers once Redis does. */
export async function pingRedis(url: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } finally {
    client.disconnect();
  }
}

export { NATS_BINARY, PrivateNats, freePort } from '../support/nats-server.ts';

/** A logger whose lines are kept in `lines` (JSON text), for asserting on warnings. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('info', sink), lines };
}

/** A config from `raw` over the defaults (no file, no environment). */
export function configOf(raw: Record<string, unknown>): ConclaveConfig {
  return loadConfig({ path: '/dev/null', env: {}, overrides: raw });
}
