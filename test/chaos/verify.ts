/** Reads the chaos test's outcomes: decisions in the DECISIONS stream, decision audits in the store. */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { KyselyStore } from '../../src/store/kysely-store.ts';
import { DEFAULT_STREAMS } from '../../src/wiring/distributed.ts';

/** How many times each corr_id occurs. */
export type Tally = Map<string, number>;

/** Per corr_id, how many `orchestrated.decision` messages the stream holds (read with an ordered consumer). */
export async function streamDecisions(url: string): Promise<Tally> {
  const nc = await connect({ servers: url });
  const tally: Tally = new Map();
  try {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(DEFAULT_STREAMS.decisions.name);
    const total = info.state.messages;
    if (total === 0) return tally;
    // The stream holds the other decision subjects too; servers before 2.10 cannot filter an
    // ordered consumer by subject, so read everything and keep `orchestrated.decision`.
    const consumer = await js.consumers.get(DEFAULT_STREAMS.decisions.name);
    const messages = await consumer.consume();
    let seen = 0;
    for await (const m of messages) {
      if (m.subject === 'orchestrated.decision') {
        const corrId = (m.json<{ corr_id: string }>() ?? { corr_id: '' }).corr_id;
        tally.set(corrId, (tally.get(corrId) ?? 0) + 1);
      }
      if (++seen >= total || m.info.pending === 0) break;
    }
    await messages.close();
    return tally;
  } finally {
    await nc.close();
  }
}

/** The orchestrators' durable consumer on the signal stream: what is waiting or unacknowledged. */
export async function signalBacklog(url: string): Promise<{ pending: number; unacked: number }> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.consumers.info(DEFAULT_STREAMS.signals.name, 'orchestrator-consumer');
    return { pending: info.num_pending, unacked: info.num_ack_pending };
  } finally {
    await nc.close();
  }
}

/** Per corr_id, how many audit entries of kind `decision` the store holds. */
export async function storedDecisions(store: KyselyStore): Promise<Tally> {
  const rows = await store.db
    .selectFrom('audit_entries')
    .select('corr_id')
    .where('kind', '=', 'decision')
    .execute();
  const tally: Tally = new Map();
  for (const { corr_id: corrId } of rows) tally.set(corrId ?? '', (tally.get(corrId ?? '') ?? 0) + 1);
  return tally;
}

/** The corr_ids among `expected` that `tally` misses, and those it holds more than once. */
export function discrepancies(
  tally: Tally,
  expected: readonly string[],
): { lost: string[]; doubled: string[] } {
  const lost = expected.filter((id) => !tally.has(id));
  const doubled = [...tally].filter(([, n]) => n > 1).map(([id]) => id);
  return { lost, doubled };
}
