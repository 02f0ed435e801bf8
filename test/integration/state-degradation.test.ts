import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createConclave } from '../../src/conclave.ts';
import { isConclaveError } from '../../src/core/errors.ts';
import { enriched, momentum, risk } from '../coordination/fixtures.ts';
import { capturingLogger, configOf, freePort } from './support.ts';

/**
 * Shared state pointed at a port where no Redis listens: the breaker opens, a loud warning is
 * logged, `conclave_state_degraded` is 1, and the configured fallback decides what happens.
 */
const dir = mkdtempSync(join(tmpdir(), 'conclave-degraded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function degraded(fallback: 'memory' | 'refuse') {
  const port = await freePort();
  const logs = capturingLogger();
  const conclave = await createConclave(
    configOf({
      state: {
        driver: 'redis',
        redis: {
          url: `redis://127.0.0.1:${port}`,
          fallback,
          connect_timeout_ms: 500,
          command_timeout_ms: 500,
        },
      },
      store: { sqlite_path: join(dir, `${fallback}.db`) },
    }),
    { logger: logs.logger },
  );
  await conclave.start();
  return { conclave, logs, port };
}

describe('shared state when Redis is unreachable', () => {
  it('falls back to in-memory state with a loud warning and the degraded metric, and keeps deciding', async () => {
    const { conclave, logs, port } = await degraded('memory');
    try {
      const warning = logs.lines.find((l) => l.includes('SHARED STATE DEGRADED'));
      expect(warning).toBeDefined();
      expect(warning).toContain(`127.0.0.1:${port}`);
      expect(warning).toContain('exactly-once');
      expect(JSON.parse(warning as string)).toMatchObject({
        level: 'warn',
        event: 'shared_state_degraded',
        fallback: 'memory',
      });
      expect(await conclave.metrics.text()).toMatch(/conclave_state_degraded 1/);
      const report = await conclave.dependencies();
      const state = report.dependencies.find((d) => d.name === 'state');
      expect(state).toMatchObject({ driver: 'redis', status: 'degraded' });
      expect(state?.reason).toMatch(/fallback: memory/);
      expect(report.ok).toBe(true); // degraded still serves
      expect(await conclave.coordinator.ingest(enriched('momentum', momentum(0.9)))).not.toBe('rejected');
      await conclave.coordinator.ingest(enriched('risk', risk('low')));
      const snapshot = await conclave.state.getCorrelation('req_abc123');
      expect(snapshot?.status).toBe('decided');
      expect(conclave.coordinator.stats().decisions).toBe(1);
    } finally {
      await conclave.close(500);
    }
  });

  it('refuses state operations with a retryable STORE_ERROR and reports unhealthy under fallback: refuse', async () => {
    const { conclave, logs } = await degraded('refuse');
    try {
      expect(logs.lines.some((l) => l.includes('state operations are refused'))).toBe(true);
      const report = await conclave.dependencies();
      expect(report.ok).toBe(false);
      expect(report.dependencies.find((d) => d.name === 'state')?.status).toBe('down');
      const err = await conclave.state.remember('k', 1_000).catch((e: unknown) => e);
      expect(isConclaveError(err) && err.code).toBe('STORE_ERROR');
      expect(isConclaveError(err) && err.retryable).toBe(true);
      expect(isConclaveError(err) && err.message).toMatch(/refused until Redis is back/);
    } finally {
      await conclave.close(500);
    }
  });
});
