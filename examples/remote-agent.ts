/**
 * A remote momentum agent: a process of its own that joins a distributed Conclave over NATS.
 *
 * Run it (NATS with JetStream on 127.0.0.1:4222, and an orchestrator started with
 * `bus.driver: nats`; see the README's "Distributed shape"):
 *
 *   npx tsx examples/remote-agent.ts                          # one copy
 *   NATS_URL=nats://10.0.0.5:4222 npx tsx examples/remote-agent.ts
 *   AGENT_NAME=momentum npx tsx examples/remote-agent.ts &    # start it twice: the copies share tasks
 *
 * It registers as `momentum` with the capability `momentum.analyze`, heartbeats every 5 s, and
 * answers tasks such as `POST /orchestrate {"pattern": "momentum.analyze", "payload": {"symbol":
 * "AAPL", "closes": [100, 101, 103, 102, 106]}}`. Given a `corr_id` in the payload it also publishes
 * its analysis as an enriched signal on `signals.enriched.momentum`, for the coordinator to join
 * with the other agents' signals into a decision. Ctrl-C stops it; orchestrators take it offline
 * when its heartbeats stop.
 */
import { ConclaveError, startAgent } from 'conclave/agent';

interface MomentumAnalysis {
  trend_direction: 'up' | 'down' | 'flat';
  momentum_strength: number;
  confidence: number;
}

/** Rate of change over the window, folded into the documents' momentum analysis. */
function analyze(closes: number[]): MomentumAnalysis {
  const first = closes[0] ?? 0;
  const last = closes[closes.length - 1] ?? first;
  const change = first === 0 ? 0 : (last - first) / first;
  const strength = Math.min(1, Math.abs(change) * 10);
  return {
    trend_direction: change > 0.001 ? 'up' : change < -0.001 ? 'down' : 'flat',
    momentum_strength: Number(strength.toFixed(3)),
    confidence: Number(Math.min(0.95, 0.5 + closes.length / 100 + strength / 4).toFixed(3)),
  };
}

function closesOf(payload: Record<string, unknown>): number[] {
  const closes = payload['closes'];
  if (!Array.isArray(closes) || closes.length < 2 || !closes.every((c) => typeof c === 'number')) {
    throw new ConclaveError('VALIDATION_FAILED', 'payload.closes must be a list of at least two prices', {
      retryable: false,
    });
  }
  return closes;
}

const agent = await startAgent({
  name: process.env['AGENT_NAME'] ?? 'momentum',
  capabilities: ['momentum.analyze'],
  servers: process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222',
  heartbeatIntervalMs: 5_000,
  concurrency: 16,
  version: '1.0.0',
  handler: async (payload, ctx) => {
    const analysis = analyze(closesOf(payload));
    const corrId = typeof payload['corr_id'] === 'string' ? payload['corr_id'] : ctx.corrId;
    if (corrId !== null) {
      const instrument = typeof payload['symbol'] === 'string' ? payload['symbol'] : 'UNKNOWN';
      await ctx.publishEnriched(corrId, { ...analysis }, { instrument });
    }
    return analysis;
  },
});
console.log(`remote agent ${agent.instance} serving momentum.analyze`);

const stop = (): void => {
  agent.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
