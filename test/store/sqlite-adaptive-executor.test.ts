import { describe, expect, it } from 'vitest';
import { SqliteAdaptiveExecutor } from '../../src/store/sqlite-adaptive-executor.ts';
import type { SqliteExecutor, SqliteOp } from '../../src/store/sqlite-batch-writer.ts';

/** An executor that records batches and completes them only when told to. */
class Held implements SqliteExecutor {
  readonly batches: number[] = [];
  readonly #release: (() => void)[] = [];
  run(_catalog: readonly string[], ops: readonly SqliteOp[]): Promise<void> {
    this.batches.push(ops.length);
    return new Promise((resolve) => this.#release.push(resolve));
  }
  releaseAll(): void {
    this.#release.splice(0).forEach((r) => r());
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const ops = (n: number): SqliteOp[] => Array.from({ length: n }, () => [0, []]);
const settle = () => new Promise((r) => setImmediate(r));

describe('SqliteAdaptiveExecutor', () => {
  it('runs small batches inline and large ones on the thread when both are idle', async () => {
    const inline = new Held();
    const thread = new Held();
    const ex = new SqliteAdaptiveExecutor(inline, thread, 64);
    const small = ex.run([], ops(10));
    inline.releaseAll();
    await small;
    const large = ex.run([], ops(500));
    thread.releaseAll();
    await large;
    expect(inline.batches).toEqual([10]);
    expect(thread.batches).toEqual([500]);
  });

  it('never has both busy: a batch joins the executor that has work in flight', async () => {
    const inline = new Held();
    const thread = new Held();
    const ex = new SqliteAdaptiveExecutor(inline, thread, 64);
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
