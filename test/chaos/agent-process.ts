/**
 * One agent process of the chaos test: a remote agent (the SDK) that, once told to go, publishes
 * its enriched signal for every correlation at a steady rate. A publish that fails (the
 * nats-server is restarting) is retried until it is stored; the stream drops the copies by their
 * message id. Reports progress over IPC every 100 ms and `done` at the end.
 *
 * Arguments: `<nats url> <agent name> <correlations> <signals per second>`.
 */
import { startAgent } from '../../src/agent-sdk/index.ts';
import { chaosCorrId, type ChildReport, type ParentCommand } from './protocol.ts';

const [natsUrl, name, countArg, rateArg] = process.argv.slice(2);
if (natsUrl === undefined || name === undefined) {
  throw new Error('usage: agent-process <nats> <name> <count> <rate>');
}
const count = Number(countArg);
const perSecond = Number(rateArg);
const report = (r: ChildReport): void => {
  process.send?.(r);
};
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const ANALYSES: Record<string, Record<string, unknown>> = {
  momentum: { trend_direction: 'up', momentum_strength: 0.8, confidence: 0.9 },
  risk: { risk_level: 'low', overall_score: 0.2, position_sizing: { recommended_size: 100 } },
  sentiment: { sentiment: 'positive', score: 0.6, confidence: 0.7 },
};

const agent = await startAgent({
  name,
  capabilities: [`chaos.${name}`],
  servers: natsUrl,
  heartbeatIntervalMs: 1_000,
  handler: () => null,
});

async function publish(i: number): Promise<void> {
  for (;;) {
    try {
      await agent.publishEnriched(chaosCorrId(i), ANALYSES[name ?? ''] ?? {}, { instrument: 'AAPL' });
      return;
    } catch {
      await pause(100);
    }
  }
}

async function run(): Promise<void> {
  let published = 0;
  const timer = setInterval(() => report({ kind: 'progress', count: published }), 100);
  const started = Date.now();
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < count; i++) {
    // Steady pace: signal i goes out no earlier than i / perSecond seconds after the start.
    const due = started + (i * 1000) / perSecond;
    if (due > Date.now()) await pause(due - Date.now());
    const p = publish(i).then(() => {
      published++;
      inFlight.delete(p);
    });
    inFlight.add(p);
    if (inFlight.size >= 256) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  clearInterval(timer);
  report({ kind: 'progress', count: published });
  report({ kind: 'done' });
}

process.on('message', (command: ParentCommand) => {
  if (command.kind === 'go') void run();
});
report({ kind: 'ready' });
