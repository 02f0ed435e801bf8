/**
 * A batch of statement runs in one flat array: statement index, parameter count, the parameters,
 * then the next run. Batches cross to the writer thread by structured clone, and one array of
 * primitives clones in about half the time of an array of small arrays (measured: 1.3 against
 * 2.5 µs a task row), with nothing to allocate per run on the sending side.
 */
export class SqliteOps {
  /** The flat encoding; {@link forEachOp} reads it back. */
  readonly values: unknown[] = [];
  /** Statement runs in the batch. */
  count = 0;

  /** Appends a run of `statement` with `params`. */
  add(statement: number, params: readonly unknown[]): void {
    const v = this.values;
    v.push(statement, params.length);
    for (let i = 0; i < params.length; i++) v.push(params[i]);
    this.count++;
  }

  /**
   * Starts a run of `statement` whose `paramCount` parameters the caller pushes next onto the
   * returned array (the hot paths write their values straight in).
   */
  begin(statement: number, paramCount: number): unknown[] {
    this.values.push(statement, paramCount);
    this.count++;
    return this.values;
  }
}

/** Calls `run` for each statement run of a flat batch, with its parameters. */
export function forEachOp(
  values: readonly unknown[],
  run: (statement: number, params: unknown[]) => void,
): void {
  for (let i = 0; i < values.length;) {
    const statement = values[i] as number;
    const n = values[i + 1] as number;
    run(statement, values.slice(i + 2, i + 2 + n));
    i += 2 + n;
  }
}
