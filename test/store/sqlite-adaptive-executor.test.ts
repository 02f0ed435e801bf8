import { describe, expect, it } from 'vitest';
import { SqliteAdaptiveExecutor, eventLoopBusyProbe } from '../../src/store/sqlite-adaptive-executor.ts';
import type { SqliteExecutor } from '../../src/store/sqlite-batch-writer.ts';
import { SqliteOps, forEachOp } from '../../src/store/sqlite-ops.ts';

/** An executor that records batches and completes them only when told to. */
class Held implements SqliteExecutor {
  readonly batches: number[] = [];
  readonly #release: (() => void)[] = [];
  run(_catalog: readonly string[], ops: SqliteOps): Promise<void> {
    this.batches.push(ops.count);
    return new Promise((resolve) => this.#release.push(resolve));
  }
  releaseAll(): void {
    this.#release.splice(0).forEach((r) => r());
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const ops = (n: number): SqliteOps => {
  const batch = new SqliteOps();
  for (let i = 0; i < n; i++) batch.add(0, []);
  return batch;
};
const settle = () => new Promise((r) => setImmediate(r));

/** Runs a batch of `n` through `ex`, releasing it on `on`, the executor expected to take it. */
async function runOn(ex: SqliteAdaptiveExecutor, on: Held, n: number): Promise<void> {
  const done = ex.run([], ops(n));
  on.releaseAll();
  await done;
}

describe('SqliteAdaptiveExecutor', () => {
  it('runs small batches inline and large ones on the thread when both are idle', async () => {
    const inline = new Held();
    const thread = new Held();
    const ex = new SqliteAdaptiveExecutor(inline, thread, 64, () => false);
    await runOn(ex, inline, 10);
    await runOn(ex, thread, 500);
    expect(inline.batches).toEqual([10]);
    expect(thread.batches).toEqual([500]);
  });

  it('never has both busy: a batch joins the executor that has work in flight', async () => {
    const inline = new Held();
    const thread = new Held();
    const ex = new SqliteAdaptiveExecutor(inline, thread, 64, () => false);
    const a = ex.run([], ops(500)); // thread
    const b = ex.run([], ops(3)); // small, but the thread is busy: thread
    expect(thread.batches).toEqual([500, 3]);
    expect(inline.batches).toEqual([]);
    thread.releaseAll();
    await Promise.all([a, b]);
    await settle();
    const c = ex.run([], ops(5)); // inline
    const d = ex.run([], ops(900)); // large, but inline is busy: inline
    expect(inline.batches).toEqual([5, 900]);
    expect(thread.batches).toEqual([500, 3]);
    inline.releaseAll();
    await Promise.all([c, d]);
  });
});

describe('SqliteAdaptiveExecutor under load', () => {
  it('sends small batches to the thread while the event loop is busy, and inline again after', async () => {
    const inline = new Held();
    const thread = new Held();
    let busy = true;
    const ex = new SqliteAdaptiveExecutor(inline, thread, 64, () => busy);
    await runOn(ex, thread, 5);
    busy = false;
    await runOn(ex, inline, 5);
    expect(thread.batches).toEqual([5]);
    expect(inline.batches).toEqual([5]);
  });

  it('keeps batches inline while the thread is still starting, unless one is too large to', async () => {
    const inline = new Held();
    const thread = new Held();
    let ready = false;
    let warmed = 0;
    Object.assign(thread, { warm: () => (warmed++, ready ? 'ready' : 'starting') });
    const ex = new SqliteAdaptiveExecutor(inline, thread, 64, () => true);
    await runOn(ex, inline, 5);
    await runOn(ex, inline, 500);
    await runOn(ex, thread, 5000); // waits for the thread rather than hold the loop
    ready = true;
    await runOn(ex, thread, 5);
    expect(inline.batches).toEqual([5, 500]);
    expect(thread.batches).toEqual([5000, 5]);
    expect(warmed).toBe(4);
  });

  it('passes over a thread that failed, whatever the batch size', async () => {
    const inline = new Held();
    const thread = new Held();
    Object.assign(thread, { warm: () => 'failed' });
    const ex = new SqliteAdaptiveExecutor(inline, thread, 64, () => true);
    for (const n of [5, 5000]) await runOn(ex, inline, n);
    expect(inline.batches).toEqual([5, 5000]);
    expect(thread.batches).toEqual([]);
  });

  it('the default probe reads the event loop: busy after a spin, idle after a rest', async () => {
    const probe = eventLoopBusyProbe();
    const spinUntil = performance.now() + 250;
    while (performance.now() < spinUntil) probe(); // the loop never yields: fully busy
    expect(probe()).toBe(true);
    await new Promise((r) => setTimeout(r, 250)); // idle
    expect(probe()).toBe(false);
  });
});

describe('SqliteOps', () => {
  it('reads back every run with its own parameters, in order', () => {
    const batch = new SqliteOps();
    batch.add(2, ['a', 1, null]);
    batch.begin(0, 2).push('b', 2);
    batch.add(1, []);
    const seen: [number, unknown[]][] = [];
    forEachOp(batch.values, (statement, params) => seen.push([statement, params]));
    expect(seen).toEqual([
      [2, ['a', 1, null]],
      [0, ['b', 2]],
      [1, []],
    ]);
    expect(batch.count).toBe(3);
  });
});
