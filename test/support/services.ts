/**
 * Reachability checks for the real servers integration suites talk to (PostgreSQL, NATS, Redis…).
 *
 * Pattern, with top-level await so vitest knows before collecting whether to skip:
 *
 * ```ts
 * const url = process.env.CONCLAVE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
 * const redis = await requireService(`Redis at ${url}`, () => pingRedis(url));
 * describe.skipIf(!redis.available)(suiteName('Redis state', redis), () => { … });
 * ```
 *
 * Unreachable → the suite is skipped with a message naming the server, except under `CI=true`,
 * where these services are required: `requireService` throws, so the test file fails.
 */

/** Whether a service answered, and if not, why. */
export interface ServiceStatus {
  available: boolean;
  /** Set when unavailable: what failed, naming the service. */
  reason?: string;
}

/** Options for {@link requireService}. */
export interface RequireServiceOptions {
  /** Give up on a probe that hangs after this long. Default 3000. */
  timeoutMs?: number;
  /** Environment to read `CI` from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Where the skip notice goes. Default `console.warn`. */
  warn?: (message: string) => void;
}

/** Rejects with a timeout if `promise` has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Probes a service. Resolves `{ available: true }` when `probe` succeeds; otherwise resolves
 * `{ available: false, reason }` and prints a skip notice — or, when `CI` is `'true'`, throws.
 * @param name the service and where it was looked for, e.g. `PostgreSQL at postgres://…`.
 */
export async function requireService(
  name: string,
  probe: () => Promise<void>,
  options: RequireServiceOptions = {},
): Promise<ServiceStatus> {
  const { timeoutMs = 3000, env = process.env, warn = console.warn } = options;
  try {
    await within(probe(), timeoutMs, name);
    return { available: true };
  } catch (err) {
    const reason = `${name} is unreachable: ${err instanceof Error ? err.message : String(err)}`;
    if (env.CI === 'true') {
      throw new Error(`${reason}. CI=true requires this service; start it or unset CI to skip.`, {
        cause: err,
      });
    }
    warn(`Skipping tests that need ${name}: ${reason}`);
    return { available: false, reason };
  }
}

/** A describe title that carries the skip reason, so the test report says why a suite did not run. */
export function suiteName(title: string, status: ServiceStatus): string {
  return status.available ? title : `${title} (skipped: ${status.reason ?? 'service unavailable'})`;
}
