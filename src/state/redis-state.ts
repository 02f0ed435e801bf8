import { Redis } from 'ioredis';
import { ConclaveError, ValidationError } from '../core/errors.ts';
import { MAX_LATE_AGENTS } from './memory-correlations.ts';
import { DEFAULT_DECIDED_RETENTION_MS } from './memory-state.ts';
import { decodeBreaker, decodeClaim, decodeJoin, decodeSnapshot } from './redis-replies.ts';
import type { RedisHash } from './redis-replies.ts';
import {
  ACQUIRE_LOCK,
  CAS_BREAKER,
  CLAIM_DECISION,
  EXTEND_LOCK,
  JOIN_SIGNAL,
  RELEASE_LOCK,
  TAKE_TOKENS,
} from './redis-scripts.ts';
import type { LuaScript } from './redis-scripts.ts';
import type {
  BreakerRecord,
  BreakerUpdate,
  BucketLimit,
  ClaimReason,
  ClaimResult,
  CorrelationSnapshot,
  JoinPolicy,
  JoinResult,
  LockGrant,
  SharedState,
} from './shared-state.ts';
import { checkBreaker, checkBucket, checkKey, checkPolicy, checkTtl, encodeSignal } from './state-args.ts';

/** Options for {@link RedisState}. */
export interface RedisStateOptions {
  /** Where Redis is (`redis://` or `rediss://`); default `redis://127.0.0.1:6379`. Ignored with `client`. */
  url?: string;
  /**
   * A connection to use instead of opening one. The caller keeps it: {@link RedisState.close} does
   * not quit it, and its own timeouts and retry settings apply.
   */
  client?: Redis;
  /** Prepended to every key (default `conclave:`); must not contain `{` or `}`. */
  keyPrefix?: string;
  /** How long a decided correlation id stays remembered after its decision (default one hour). */
  decidedRetentionMs?: number;
  /** How long opening the connection may take (default 5000). */
  connectTimeoutMs?: number;
  /** How long one command may wait for its answer, queueing included (default 5000). */
  commandTimeoutMs?: number;
}

/** {@link RedisStateOptions} validated and complete. */
export interface CompiledRedisStateOptions {
  readonly url: string;
  readonly client: Redis | undefined;
  readonly keyPrefix: string;
  readonly decidedRetentionMs: number;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
}

/** Validates {@link RedisStateOptions} and fills in defaults; a bad field throws a `ValidationError` naming it. */
export function compileRedisStateOptions(options: RedisStateOptions = {}): CompiledRedisStateOptions {
  const url = options.url ?? 'redis://127.0.0.1:6379';
  if (typeof url !== 'string' || !/^rediss?:\/\/./.test(url)) {
    throw new ValidationError('url', `must be a redis:// or rediss:// URL, got ${JSON.stringify(url)}`);
  }
  const keyPrefix = options.keyPrefix ?? 'conclave:';
  if (typeof keyPrefix !== 'string' || /[{}]/.test(keyPrefix)) {
    throw new ValidationError(
      'keyPrefix',
      `must be a string without { or } (they would break hash tags), got ${JSON.stringify(keyPrefix)}`,
    );
  }
  const compiled = {
    url,
    client: options.client,
    keyPrefix,
    decidedRetentionMs: options.decidedRetentionMs ?? DEFAULT_DECIDED_RETENTION_MS,
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    commandTimeoutMs: options.commandTimeoutMs ?? 5_000,
  };
  checkTtl('decidedRetentionMs', compiled.decidedRetentionMs);
  checkTtl('connectTimeoutMs', compiled.connectTimeoutMs);
  checkTtl('commandTimeoutMs', compiled.commandTimeoutMs);
  return compiled;
}

/**
 * {@link SharedState} in Redis: the distributed shape's coordination state, shared by every
 * orchestrator that points at the same server and key prefix.
 * @remarks Each operation is one Lua script (run by `EVALSHA`, loaded on first use) or one
 * command, so operations from different processes never interleave. Time inside scripts is the
 * server's. Failures reject with a retryable `STORE_ERROR` naming the operation; a command that
 * timed out may still have run, so callers retry only what is safe to repeat (a join is, a
 * repeated claim answers `claimed: false`). A connection this class opens fails queued commands
 * after one reconnect attempt instead of holding them, so an outage surfaces quickly.
 */
export class RedisState implements SharedState {
  readonly #client: Redis;
  readonly #owned: boolean;
  readonly #prefix: string;
  readonly #retentionMs: number;
  #closing: Promise<void> | undefined;

  constructor(options: RedisStateOptions = {}) {
    const compiled = compileRedisStateOptions(options);
    this.#prefix = compiled.keyPrefix;
    this.#retentionMs = compiled.decidedRetentionMs;
    this.#owned = compiled.client === undefined;
    this.#client =
      compiled.client ??
      new Redis(compiled.url, {
        lazyConnect: true,
        connectTimeout: compiled.connectTimeoutMs,
        commandTimeout: compiled.commandTimeoutMs,
        maxRetriesPerRequest: 1,
      });
    // Failures reach callers through their commands; without a listener ioredis prints each one.
    if (this.#owned) this.#client.on('error', () => undefined);
  }

  joinSignal(corrId: string, agent: string, signal: unknown, policy: JoinPolicy): Promise<JoinResult> {
    return this.#run('joinSignal', async () => {
      checkKey('corrId', corrId);
      checkKey('agent', agent);
      checkPolicy(policy);
      const text = encodeSignal(signal);
      const args = [agent, text, policy.ttlMs, policy.minAgents, this.#retentionMs, MAX_LATE_AGENTS];
      return decodeJoin(await this.#eval(JOIN_SIGNAL, this.#corrKeys(corrId), [...args, ...policy.required]));
    });
  }

  claimDecision(corrId: string, reason: ClaimReason): Promise<ClaimResult> {
    return this.#run('claimDecision', async () => {
      checkKey('corrId', corrId);
      if (reason !== 'complete' && reason !== 'deadline') {
        throw new ValidationError('reason', `must be complete or deadline, got ${String(reason)}`);
      }
      return decodeClaim(
        await this.#eval(CLAIM_DECISION, this.#corrKeys(corrId), [reason, this.#retentionMs]),
      );
    });
  }

  getCorrelation(corrId: string): Promise<CorrelationSnapshot | undefined> {
    return this.#run('getCorrelation', async () => {
      checkKey('corrId', corrId);
      const [corr, done] = this.#corrKeys(corrId);
      const replies = await this.#client.multi().hgetall(corr).hgetall(done).exec();
      const hashes = (replies ?? []).map(([err, hash]) => {
        if (err !== null) throw err;
        return hash as RedisHash;
      });
      return decodeSnapshot(hashes[0] ?? {}, hashes[1] ?? {});
    });
  }

  remember(key: string, ttlMs: number): Promise<boolean> {
    return this.#run('remember', async () => {
      checkKey('key', key);
      checkTtl('ttlMs', ttlMs);
      return (await this.#client.set(this.#key('idem', key), '1', 'PX', ttlMs, 'NX')) === 'OK';
    });
  }

  acquireLock(key: string, ttlMs: number): Promise<LockGrant | undefined> {
    return this.#run('acquireLock', async () => {
      checkKey('key', key);
      checkTtl('ttlMs', ttlMs);
      const lock = this.#key('lock', key);
      const token = await this.#eval(ACQUIRE_LOCK, [lock, `${lock}:fence`], [ttlMs]);
      return typeof token === 'number' ? { token } : undefined;
    });
  }

  releaseLock(key: string, token: number): Promise<boolean> {
    return this.#run('releaseLock', async () => {
      checkKey('key', key);
      return (await this.#eval(RELEASE_LOCK, [this.#key('lock', key)], [String(token)])) === 1;
    });
  }

  extendLock(key: string, token: number, ttlMs: number): Promise<boolean> {
    return this.#run('extendLock', async () => {
      checkKey('key', key);
      checkTtl('ttlMs', ttlMs);
      return (await this.#eval(EXTEND_LOCK, [this.#key('lock', key)], [String(token), ttlMs])) === 1;
    });
  }

  takeTokens(key: string, limit: BucketLimit, cost = 1): Promise<number> {
    return this.#run('takeTokens', async () => {
      checkKey('key', key);
      checkBucket(limit, cost);
      const args = [String(limit.ratePerMinute), String(limit.burst), String(cost)];
      const wait = await this.#eval(TAKE_TOKENS, [this.#key('bucket', key)], args);
      if (typeof wait !== 'number') throw new ConclaveError('STORE_ERROR', `unexpected wait ${String(wait)}`);
      return wait;
    });
  }

  getBreaker(key: string): Promise<BreakerRecord | undefined> {
    return this.#run('getBreaker', async () => {
      checkKey('key', key);
      return decodeBreaker(await this.#client.hgetall(this.#key('breaker', key)));
    });
  }

  casBreaker(key: string, expectedVersion: number, next: BreakerUpdate): Promise<boolean> {
    return this.#run('casBreaker', async () => {
      checkKey('key', key);
      checkBreaker(expectedVersion, next);
      const openedAt = next.openedAt === undefined ? '' : String(next.openedAt);
      const args = [expectedVersion, next.state, next.consecutiveFailures, openedAt];
      return (await this.#eval(CAS_BREAKER, [this.#key('breaker', key)], args)) === 1;
    });
  }

  ping(): Promise<void> {
    return this.#run('ping', async () => {
      await this.#client.ping();
    });
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    if (!this.#owned) return;
    if (this.#client.status !== 'ready') {
      this.#client.disconnect();
      return;
    }
    try {
      await this.#client.quit();
    } catch {
      this.#client.disconnect();
    }
  }

  /** `<prefix><kind>:{<key>}`: the braces make `key` the hash tag, so related keys share a slot. */
  #key(kind: string, key: string): string {
    return `${this.#prefix}${kind}:{${key}}`;
  }

  #corrKeys(corrId: string): [string, string] {
    const corr = this.#key('corr', corrId);
    return [corr, `${corr}:done`];
  }

  /** Runs `script` by SHA; on `NOSCRIPT` (first use, or a flushed or restarted server) loads it once and retries. */
  async #eval(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await this.#client.evalsha(script.sha1, script.keys, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      await this.#client.script('LOAD', script.source);
      return this.#client.evalsha(script.sha1, script.keys, ...keys, ...args);
    }
  }

  /** Runs one operation: refused once closed, domain errors passed on, Redis failures as `STORE_ERROR`. */
  async #run<T>(operation: string, op: () => Promise<T>): Promise<T> {
    if (this.#closing !== undefined) throw shuttingDown(operation);
    try {
      return await op();
    } catch (err) {
      if (err instanceof ConclaveError) throw err;
      if (this.#closing !== undefined) throw shuttingDown(operation, err);
      const message = err instanceof Error ? err.message : String(err);
      throw new ConclaveError('STORE_ERROR', `shared state ${operation} failed in Redis: ${message}`, {
        cause: err,
        details: { operation },
      });
    }
  }
}

function shuttingDown(operation: string, cause?: unknown): ConclaveError {
  return new ConclaveError('SHUTTING_DOWN', `shared state is closed; ${operation} refused`, {
    cause,
    details: { operation },
  });
}
