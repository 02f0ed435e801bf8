import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const probe = fileURLToPath(new URL('./hidden-classes-probe.ts', import.meta.url));

/**
 * Objects the coordinator makes and publishes by the thousand must share hidden classes: built
 * as `{ ...x, extra }` on Node 20 each gets its own, which cost the coordinator half its
 * throughput (bench/RESULTS.md, 2026-11-22). V8's own probe needs a flag, so this runs apart.
 */
describe('hidden classes on the coordinator path', () => {
  it('signals, analyses, decisions, audit entries, messages and headers share them once warm', async () => {
    const { stdout } = await run(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', probe], {
      timeout: 60_000,
    });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, boolean>;
    expect(Object.keys(report).length).toBeGreaterThanOrEqual(20);
    const own = Object.entries(report)
      .filter(([, shared]) => !shared)
      .map(([kind]) => kind);
    expect(own).toEqual([]);
  }, 90_000);
});
