import type { Conclave } from '../conclave.ts';

/** The kinds of live event GET /events streams. */
export const LIVE_EVENT_KINDS = ['progress', 'decision', 'agent_status'] as const;

/** One of {@link LIVE_EVENT_KINDS}. */
export type LiveEventKind = (typeof LIVE_EVENT_KINDS)[number];

/** One live event: its kind, the ids it can be filtered by, and its JSON data. */
export interface LiveEvent {
  kind: LiveEventKind;
  workflowId: string | null;
  corrId: string | null;
  data: unknown;
}

/** What a subscriber wants: kinds (all when empty), and a workflow id or corr_id to match. */
export interface LiveEventFilter {
  kinds: ReadonlySet<LiveEventKind>;
  workflowId?: string;
  corrId?: string;
}

/** Whether `event` passes `filter`; an id filter drops events that do not carry that id. */
export function matchesFilter(event: LiveEvent, filter: LiveEventFilter): boolean {
  if (filter.kinds.size > 0 && !filter.kinds.has(event.kind)) return false;
  if (filter.workflowId !== undefined && event.workflowId !== filter.workflowId) return false;
  if (filter.corrId !== undefined && event.corrId !== filter.corrId) return false;
  return true;
}

/**
 * Fans Conclave's live events (workflow progress, coordinator decisions, agent status changes)
 * out to any number of subscribers.
 * @remarks It listens to the components once, only while someone subscribes, so a hundred open
 * streams add one listener each to the engine, the coordinator and the registry, not a hundred.
 */
export class LiveEventHub {
  readonly #conclave: Conclave;
  readonly #subscribers = new Set<(event: LiveEvent) => void>();
  #unbind: (() => void)[] = [];

  constructor(conclave: Conclave) {
    this.#conclave = conclave;
  }

  /** Subscribers connected now. */
  get size(): number {
    return this.#subscribers.size;
  }

  /** Adds a subscriber; returns the function that removes it. */
  subscribe(listener: (event: LiveEvent) => void): () => void {
    if (this.#subscribers.size === 0) this.#bind();
    this.#subscribers.add(listener);
    return () => {
      if (!this.#subscribers.delete(listener)) return;
      if (this.#subscribers.size === 0) this.#release();
    };
  }

  /** Drops every subscriber and listener. */
  close(): void {
    this.#subscribers.clear();
    this.#release();
  }

  #emit(event: LiveEvent): void {
    for (const listener of this.#subscribers) listener(event);
  }

  #bind(): void {
    const c = this.#conclave;
    this.#unbind = [
      c.workflows.events.on('progress', (update) => {
        const p = update.progress_update;
        this.#emit({ kind: 'progress', workflowId: p.workflow_id, corrId: null, data: update });
      }),
      c.coordinator.on('decision', (_type, _latency, decision) => {
        this.#emit({
          kind: 'decision',
          workflowId: decision.workflow_id ?? null,
          corrId: decision.corr_id,
          data: decision,
        });
      }),
      c.registry.on('status', (change) => {
        this.#emit({
          kind: 'agent_status',
          workflowId: null,
          corrId: null,
          data: { ...change, at: new Date(change.at).toISOString() },
        });
      }),
    ];
  }

  #release(): void {
    for (const off of this.#unbind) off();
    this.#unbind = [];
  }
}
