import type {
  ClaimReason,
  ClaimResult,
  CorrelationSnapshot,
  JoinPolicy,
  JoinResult,
} from './shared-state.ts';

/** The most late agents remembered per correlation, so a flood of late names cannot grow memory. */
export const MAX_LATE_AGENTS = 256;

/** A signal as held: its JSON text, or the signal itself when sealed (see `sealJson`). */
export type StoredSignal = string | object;

interface CorrelationRecord {
  /** The agents that joined, in arrival order, and their stored signals at the same index. */
  readonly agents: string[];
  readonly signals: StoredSignal[];
  readonly firstAt: number;
  lastAt: number;
  /** When the signals expire: first signal + the first join's TTL. */
  readonly expiresAt: number;
  decidedAt: number | undefined;
  decidedReason: ClaimReason | undefined;
  /** Created with the first late signal. */
  late: string[] | undefined;
}

/**
 * The in-memory correlation joins behind `MemoryState`: the same rules the Redis script follows,
 * with time passed in and every method one synchronous (hence atomic) step.
 */
export class CorrelationTable {
  readonly #records = new Map<string, CorrelationRecord>();
  readonly #retentionMs: number;
  readonly #schedule: (at: number, corrId: string) => void;

  /** `schedule(at, id)` asks the owner to call {@link expire} for `id` at `at`. */
  constructor(decidedRetentionMs: number, schedule: (at: number, corrId: string) => void) {
    this.#retentionMs = decidedRetentionMs;
    this.#schedule = schedule;
  }

  /** How many correlations are held (collecting, decided or remembered as decided). */
  get size(): number {
    return this.#records.size;
  }

  /** Stores a signal and claims the decision when it completes the correlation. */
  join(corrId: string, agent: string, signal: StoredSignal, policy: JoinPolicy, now: number): JoinResult {
    let record = this.#live(corrId, now);
    if (record === undefined) {
      record = {
        agents: [],
        signals: [],
        firstAt: now,
        lastAt: now,
        expiresAt: now + policy.ttlMs,
        decidedAt: undefined,
        decidedReason: undefined,
        late: undefined,
      };
      this.#records.set(corrId, record);
      this.#schedule(record.expiresAt, corrId);
    }
    if (record.decidedAt !== undefined) {
      const late = (record.late ??= []);
      if (!late.includes(agent) && late.length < MAX_LATE_AGENTS) late.push(agent);
      return {
        outcome: 'late',
        agents: record.agents.slice(),
        complete: isComplete(record, policy),
        claimed: false,
      };
    }
    if (record.agents.includes(agent)) {
      return {
        outcome: 'duplicate',
        agents: record.agents.slice(),
        complete: isComplete(record, policy),
        claimed: false,
      };
    }
    record.agents.push(agent);
    record.signals.push(signal);
    record.lastAt = now;
    const complete = isComplete(record, policy);
    const agents = record.agents.slice();
    if (!complete) return { outcome: 'stored', agents, complete, claimed: false };
    this.#decide(record, 'complete', now);
    const signals = decodeAll(record);
    return { outcome: 'stored', agents, complete, claimed: true, signals, firstAt: record.firstAt };
  }

  /** Claims the decision for one caller; the rest (and unknown ids) get `claimed: false`. */
  claim(corrId: string, reason: ClaimReason, now: number): ClaimResult {
    const record = this.#live(corrId, now);
    if (record === undefined || record.decidedAt !== undefined) return { claimed: false };
    this.#decide(record, reason, now);
    return { claimed: true, signals: decodeAll(record) };
  }

  /** A snapshot of the correlation, or undefined when absent or expired undecided. */
  get(corrId: string, now: number): CorrelationSnapshot | undefined {
    const record = this.#live(corrId, now);
    if (record === undefined) return undefined;
    return {
      signals: decodeAll(record),
      status: record.decidedAt === undefined ? 'collecting' : now >= record.expiresAt ? 'expired' : 'decided',
      firstAt: record.firstAt,
      lastAt: record.lastAt,
      decidedAt: record.decidedAt,
      decidedReason: record.decidedReason,
      late: record.late === undefined ? [] : [...record.late],
    };
  }

  /** Applies expiry to `corrId` at `now`; true when the record was removed. */
  expire(corrId: string, now: number): boolean {
    const had = this.#records.has(corrId);
    const record = this.#live(corrId, now);
    if (record !== undefined) this.#schedule(this.#nextCheck(record, now), corrId);
    return had && record === undefined;
  }

  #decide(record: CorrelationRecord, reason: ClaimReason, now: number): void {
    record.decidedAt = now;
    record.decidedReason = reason;
    // No new expiry check: the one queued for `expiresAt` (never later than the retention end)
    // finds the record decided and queues the next for the end of its retention.
  }

  #retainUntil(record: CorrelationRecord): number {
    return Math.max(record.expiresAt, (record.decidedAt ?? 0) + this.#retentionMs);
  }

  #nextCheck(record: CorrelationRecord, now: number): number {
    return now < record.expiresAt ? record.expiresAt : this.#retainUntil(record);
  }

  /** The record as it stands at `now`: dropped if gone, signals cleared if only remembered. */
  #live(corrId: string, now: number): CorrelationRecord | undefined {
    const record = this.#records.get(corrId);
    if (record === undefined || now < record.expiresAt) return record;
    if (record.decidedAt === undefined || now >= this.#retainUntil(record)) {
      this.#records.delete(corrId);
      return undefined;
    }
    record.agents.length = 0;
    record.signals.length = 0;
    return record;
  }
}

function isComplete(record: CorrelationRecord, policy: JoinPolicy): boolean {
  const n = record.agents.length;
  return n > 0 && n >= policy.minAgents && policy.required.every((agent) => record.agents.includes(agent));
}

function decodeAll(record: CorrelationRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < record.agents.length; i++) {
    const agent = record.agents[i]!;
    const stored = record.signals[i]!;
    const value = typeof stored === 'string' ? (JSON.parse(stored) as unknown) : stored;
    // An agent called `__proto__` is data, not a prototype.
    if (agent === '__proto__') Object.defineProperty(out, agent, { value, enumerable: true, writable: true });
    else out[agent] = value;
  }
  return out;
}
