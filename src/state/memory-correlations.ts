import type {
  ClaimReason,
  ClaimResult,
  CorrelationSnapshot,
  JoinPolicy,
  JoinResult,
} from './shared-state.ts';

/** The most late agents remembered per correlation, so a flood of late names cannot grow memory. */
export const MAX_LATE_AGENTS = 256;

interface CorrelationRecord {
  /** Agent → the signal's JSON text, in arrival order. */
  readonly signals: Map<string, string>;
  readonly firstAt: number;
  lastAt: number;
  /** When the signals expire: first signal + the first join's TTL. */
  readonly expiresAt: number;
  decidedAt: number | undefined;
  decidedReason: ClaimReason | undefined;
  readonly late: string[];
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
  join(corrId: string, agent: string, text: string, policy: JoinPolicy, now: number): JoinResult {
    let record = this.#live(corrId, now);
    if (record === undefined) {
      record = {
        signals: new Map(),
        firstAt: now,
        lastAt: now,
        expiresAt: now + policy.ttlMs,
        decidedAt: undefined,
        decidedReason: undefined,
        late: [],
      };
      this.#records.set(corrId, record);
      this.#schedule(record.expiresAt, corrId);
    }
    if (record.decidedAt !== undefined) {
      if (!record.late.includes(agent) && record.late.length < MAX_LATE_AGENTS) record.late.push(agent);
      return {
        outcome: 'late',
        agents: [...record.signals.keys()],
        complete: isComplete(record, policy),
        claimed: false,
      };
    }
    if (record.signals.has(agent)) {
      return {
        outcome: 'duplicate',
        agents: [...record.signals.keys()],
        complete: isComplete(record, policy),
        claimed: false,
      };
    }
    record.signals.set(agent, text);
    record.lastAt = now;
    const complete = isComplete(record, policy);
    const agents = [...record.signals.keys()];
    if (!complete) return { outcome: 'stored', agents, complete, claimed: false };
    this.#decide(record, corrId, 'complete', now);
    const signals = decodeAll(record.signals);
    return { outcome: 'stored', agents, complete, claimed: true, signals, firstAt: record.firstAt };
  }

  /** Claims the decision for one caller; the rest (and unknown ids) get `claimed: false`. */
  claim(corrId: string, reason: ClaimReason, now: number): ClaimResult {
    const record = this.#live(corrId, now);
    if (record === undefined || record.decidedAt !== undefined) return { claimed: false };
    this.#decide(record, corrId, reason, now);
    return { claimed: true, signals: decodeAll(record.signals) };
  }

  /** A snapshot of the correlation, or undefined when absent or expired undecided. */
  get(corrId: string, now: number): CorrelationSnapshot | undefined {
    const record = this.#live(corrId, now);
    if (record === undefined) return undefined;
    return {
      signals: decodeAll(record.signals),
      status: record.decidedAt === undefined ? 'collecting' : now >= record.expiresAt ? 'expired' : 'decided',
      firstAt: record.firstAt,
      lastAt: record.lastAt,
      decidedAt: record.decidedAt,
      decidedReason: record.decidedReason,
      late: [...record.late],
    };
  }

  /** Applies expiry to `corrId` at `now`; true when the record was removed. */
  expire(corrId: string, now: number): boolean {
    const had = this.#records.has(corrId);
    const record = this.#live(corrId, now);
    if (record !== undefined) this.#schedule(this.#nextCheck(record, now), corrId);
    return had && record === undefined;
  }

  #decide(record: CorrelationRecord, corrId: string, reason: ClaimReason, now: number): void {
    record.decidedAt = now;
    record.decidedReason = reason;
    this.#schedule(this.#retainUntil(record), corrId);
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
    record.signals.clear();
    return record;
  }
}

function isComplete(record: CorrelationRecord, policy: JoinPolicy): boolean {
  const n = record.signals.size;
  return n > 0 && n >= policy.minAgents && policy.required.every((agent) => record.signals.has(agent));
}

function decodeAll(signals: Map<string, string>): Record<string, unknown> {
  // fromEntries defines own properties, so an agent called `__proto__` is data, not a prototype.
  return Object.fromEntries([...signals].map(([agent, text]) => [agent, JSON.parse(text) as unknown]));
}
