import { ConclaveError } from '../core/errors.ts';
import type {
  BreakerPosition,
  BreakerRecord,
  ClaimReason,
  ClaimResult,
  CorrelationSnapshot,
  JoinOutcome,
  JoinResult,
} from './shared-state.ts';

// Replies come from our own scripts, so one that does not match its expected shape means the
// keyspace was written by something else (or an older layout): that becomes STORE_ERROR rather
// than half-parsed data.

/** A Redis hash as ioredis returns it from `HGETALL`. */
export type RedisHash = Record<string, string>;

function malformed(what: string, reply: unknown): ConclaveError {
  return new ConclaveError('STORE_ERROR', `unexpected Redis reply for ${what}: ${JSON.stringify(reply)}`, {
    details: { reply: JSON.stringify(reply) },
  });
}

function stringList(text: string, what: string): string[] {
  const parsed: unknown = JSON.parse(text);
  // cjson writes an empty table as `{}`, so an object with no keys is an empty list too.
  if (
    typeof parsed === 'object' &&
    parsed !== null &&
    !Array.isArray(parsed) &&
    Object.keys(parsed).length === 0
  )
    return [];
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string'))
    throw malformed(what, text);
  return parsed;
}

const OUTCOMES: readonly JoinOutcome[] = ['stored', 'duplicate', 'late'];

/** Decodes the join script's `{outcome, order, complete, claimed}`. */
export function decodeJoin(reply: unknown): JoinResult {
  if (!Array.isArray(reply) || reply.length < 4) throw malformed('joinSignal', reply);
  const [outcome, order, complete, claimed, first, ...stored] = reply as unknown[];
  const known = OUTCOMES.find((o) => o === outcome);
  if (known === undefined || typeof order !== 'string') throw malformed('joinSignal', reply);
  const base = {
    outcome: known,
    agents: stringList(order, 'joinSignal'),
    complete: complete === 1,
  };
  if (claimed !== 1) {
    if (reply.length !== 4) throw malformed('joinSignal', reply);
    return { outcome: base.outcome, agents: base.agents, complete: base.complete, claimed: false };
  }
  const firstAt = Number(first);
  const signals = decodeClaim(stored);
  if (!signals.claimed || typeof first !== 'string' || Number.isNaN(firstAt)) {
    throw malformed('joinSignal', reply);
  }
  return {
    outcome: base.outcome,
    agents: base.agents,
    complete: base.complete,
    claimed: true,
    signals: signals.signals,
    firstAt,
  };
}

/** Decodes the claim script's nil or `[agent, signal JSON, …]`. */
export function decodeClaim(reply: unknown): ClaimResult {
  if (reply === null) return { claimed: false };
  if (!Array.isArray(reply) || reply.length % 2 !== 0) throw malformed('claimDecision', reply);
  const entries: [string, unknown][] = [];
  for (let i = 0; i < reply.length; i += 2) {
    const [agent, text] = [reply[i] as unknown, reply[i + 1] as unknown];
    if (typeof agent !== 'string' || typeof text !== 'string') throw malformed('claimDecision', reply);
    entries.push([agent, JSON.parse(text)]);
  }
  // fromEntries defines own properties, so an agent called `__proto__` is data, not a prototype.
  return { claimed: true, signals: Object.fromEntries(entries) };
}

function num(hash: RedisHash, field: string, what: string): number {
  const value = Number(hash[field]);
  if (hash[field] === undefined || Number.isNaN(value)) throw malformed(what, hash);
  return value;
}

/** Builds a snapshot from `corr:{id}` and `corr:{id}:done` (either may be empty). */
export function decodeSnapshot(corr: RedisHash, done: RedisHash): CorrelationSnapshot | undefined {
  const collecting = Object.keys(corr).length > 0;
  const decided = Object.keys(done).length > 0;
  if (!collecting && !decided) return undefined;
  const what = 'getCorrelation';
  const source = collecting ? corr : done;
  const agents = collecting ? stringList(corr['order'] ?? '[]', what) : [];
  const reason = done['reason'];
  if (decided && reason !== 'complete' && reason !== 'deadline') throw malformed(what, done);
  return {
    signals: Object.fromEntries(
      agents.map((agent) => [agent, JSON.parse(corr[`s:${agent}`] ?? 'null') as unknown]),
    ),
    status: !decided ? 'collecting' : collecting ? 'decided' : 'expired',
    firstAt: num(source, 'first', what),
    lastAt: num(source, 'last', what),
    decidedAt: decided ? num(done, 'at', what) : undefined,
    decidedReason: decided ? (reason as ClaimReason) : undefined,
    late: decided ? stringList(done['late'] ?? '[]', what) : [],
  };
}

const POSITIONS: readonly BreakerPosition[] = ['closed', 'open', 'half_open'];

/** Decodes `breaker:{key}`, or undefined when it was never written. */
export function decodeBreaker(hash: RedisHash): BreakerRecord | undefined {
  if (Object.keys(hash).length === 0) return undefined;
  const state = POSITIONS.find((p) => p === hash['state']);
  if (state === undefined) throw malformed('getBreaker', hash);
  return {
    state,
    consecutiveFailures: num(hash, 'failures', 'getBreaker'),
    openedAt: hash['openedAt'] === undefined ? undefined : Number(hash['openedAt']),
    version: num(hash, 'version', 'getBreaker'),
  };
}
