import { describe, expect, it } from 'vitest';
import { requireService, suiteName } from './services.ts';

describe('requireService', () => {
  it('reports a service that answers as available', async () => {
    const status = await requireService('Echo', () => Promise.resolve(), { env: {} });
    expect(status).toEqual({ available: true });
    expect(suiteName('echo suite', status)).toBe('echo suite');
  });

  it('skips, naming the service, when the probe fails outside CI', async () => {
    const warnings: string[] = [];
    const status = await requireService(
      'Echo at tcp://nowhere',
      () => Promise.reject(new Error('ECONNREFUSED')),
      {
        env: {},
        warn: (m) => warnings.push(m),
      },
    );
    expect(status.available).toBe(false);
    expect(status.reason).toContain('Echo at tcp://nowhere');
    expect(status.reason).toContain('ECONNREFUSED');
    expect(warnings).toHaveLength(1);
    expect(suiteName('echo suite', status)).toContain('skipped');
  });

  it('fails instead of skipping under CI=true', async () => {
    await expect(
      requireService('Echo', () => Promise.reject(new Error('ECONNREFUSED')), { env: { CI: 'true' } }),
    ).rejects.toThrow(/Echo is unreachable.*CI=true/);
  });

  it('gives up on a probe that hangs', async () => {
    const status = await requireService('Echo', () => new Promise<void>(() => {}), {
      env: {},
      timeoutMs: 20,
      warn: () => {},
    });
    expect(status.available).toBe(false);
    expect(status.reason).toMatch(/no answer within 20 ms/);
  });
});
