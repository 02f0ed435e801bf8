import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConclaveError } from '../../src/core/errors.ts';
import { FINAL_TASK_STATUSES } from '../../src/core/task.ts';
import { makeHarness } from './harness.ts';

type Behaviour = 'ok' | 'retryable' | 'fatal' | 'hang' | 'slow';

const taskSpec = fc.record({
  agent: fc.constantFrom('alpha', 'beta', 'gamma'),
  priority: fc.integer({ min: 1, max: 5 }),
  maxRetries: fc.integer({ min: 0, max: 3 }),
  timeoutMs: fc.constantFrom(200, 500, 2_000),
  cancelAfterMs: fc.option(fc.integer({ min: 0, max: 3_000 }), { freq: 8 }),
});

describe('Dispatcher exactly-once property', () => {
  it('ends every submitted task exactly once in completed, failed or dead_lettered', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(taskSpec, { minLength: 1, maxLength: 60 }),
        // The behaviour of successive calls to each agent, cycled.
        fc.array(fc.constantFrom<Behaviour>('ok', 'ok', 'ok', 'retryable', 'fatal', 'hang', 'slow'), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.integer({ min: 1, max: 8 }),
        fc.boolean(),
        async (specs, behaviours, maxInFlight, useBatch) => {
          const h = await makeHarness({
            maxInFlight,
            breaker: { failureThreshold: 2, resetTimeoutMs: 1_500 },
            backoff: { baseDelayMs: 100, multiplier: 2, maxDelayMs: 1_000, jitter: 0.5 },
          });
          try {
            const calls = new Map<string, number>();
            for (const name of ['alpha', 'beta', 'gamma']) {
              let n = 0;
              h.agent(
                name,
                [name],
                (req, signal) => {
                  calls.set(req.taskId, (calls.get(req.taskId) ?? 0) + 1);
                  const b = behaviours[n++ % behaviours.length]!;
                  if (b === 'retryable') throw new ConclaveError('AGENT_ERROR', 'transient');
                  if (b === 'fatal')
                    throw new ConclaveError('AGENT_ERROR', 'bad request', { retryable: false });
                  if (b === 'hang') return new Promise(() => undefined);
                  if (b === 'slow') {
                    return new Promise((resolve, reject) => {
                      const t = h.clock.setTimeout(() => resolve('late'), 300);
                      signal.addEventListener(
                        'abort',
                        () => (h.clock.clearTimeout(t), reject(signal.reason)),
                      );
                    });
                  }
                  return { ok: req.taskId };
                },
                { maxConnections: 2 },
              );
            }
            const finished = new Map<string, number>();
            h.dispatcher.events.on('finished', (t) => finished.set(t.id, (finished.get(t.id) ?? 0) + 1));

            const inputs = specs.map((s) => ({
              pattern: s.agent,
              payload: { s: s.agent },
              priority: s.priority,
              maxRetries: s.maxRetries,
              timeoutMs: s.timeoutMs,
            }));
            const submitted = useBatch
              ? await h.dispatcher.submitMany(inputs)
              : await Promise.all(inputs.map((i) => h.dispatcher.submit(i)));
            const ids = submitted.map((t) => t.id);
            expect(new Set(ids).size).toBe(ids.length);

            specs.forEach((s, i) => {
              if (s.cancelAfterMs !== null) {
                h.clock.setTimeout(() => void h.dispatcher.cancel(ids[i]!, 'property'), s.cancelAfterMs);
              }
            });
            for (let step = 0; step < 400 && finished.size < ids.length; step++) {
              await h.clock.advance(100);
            }
            await h.dispatcher.flush();

            // Exactly one final outcome per task, in events and in the store.
            expect(finished.size).toBe(ids.length);
            for (const id of ids) expect(finished.get(id)).toBe(1);
            const stored = await h.store.tasks.getMany(ids);
            expect(stored).toHaveLength(ids.length);
            for (const rec of stored) {
              expect(FINAL_TASK_STATUSES.has(rec.status)).toBe(true);
              expect(rec.attempts).toBeLessThanOrEqual(rec.maxRetries + 1);
              expect(calls.get(rec.id) ?? 0).toBeLessThanOrEqual(rec.attempts);
              if (rec.status === 'completed') expect(rec.result).toBeDefined();
              else expect(rec.error).not.toBeNull();
            }
            const counts = await h.store.tasks.countByStatus();
            expect(counts.queued + counts.running).toBe(0);
            expect(counts.completed + counts.failed + counts.dead_lettered).toBe(ids.length);
            // One dead letter per dead-lettered task, none for the others.
            const letters = await h.store.tasks.listDeadLetters({ limit: 10_000 });
            expect(letters).toHaveLength(counts.dead_lettered);
            expect(new Set(letters.map((l) => l.taskId)).size).toBe(letters.length);
            const stats = h.dispatcher.stats();
            expect(stats.completed + stats.failed + stats.deadLettered).toBe(ids.length);
            expect(stats.queued + stats.inFlight + stats.retryWaiting).toBe(0);
          } finally {
            await h.close();
          }
        },
      ),
      { numRuns: 40, seed: 20261121, endOnFailure: true },
    );
  }, 120_000);
});
